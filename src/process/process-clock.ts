import { Injectable } from '@nestjs/common';

export interface TimerHandle {
  cancel(): void;
}

/**
 * Time and timers behind one injectable, so unit tests can drive backoff and idle time
 * (docs/style.md §3).
 */
@Injectable()
export class ProcessClock {
  now(): number {
    return Date.now();
  }

  /** An unref'd timer: a pending restart never keeps the satellite alive. */
  after(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }

  every(ms: number, fn: () => void): TimerHandle {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Waits for `promise` at most `ms`; the timer is cleared as soon as the promise settles. */
  async within(promise: Promise<unknown>, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }
}
