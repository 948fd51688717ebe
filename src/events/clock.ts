import { Injectable } from '@nestjs/common';

export interface TimerHandle {
  cancel(): void;
}

/**
 * The one clock: wall-clock time, timers and timeouts behind an injectable, so tests move time
 * with one fake (`test/support/manual-clock.ts`) instead of faking globals (docs/style.md §3). It
 * lives in `events` because every module may import `events` (docs/architecture.md); the
 * `EventsModule` provides it globally. Every timer is unref'd: a pending timer never keeps the
 * satellite alive.
 */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }

  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }

  /** Runs `fn` every `ms`. */
  every(ms: number, fn: () => void): TimerHandle {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /**
   * Waits for `promise` at most `ms` and then goes on either way (waiting, not cancelling: for
   * work that must stop when the time is up, pass `timeout(ms)` down to it instead).
   */
  async within(promise: Promise<unknown>, ms: number): Promise<void> {
    let timer: TimerHandle | undefined;
    try {
      await Promise.race([
        promise,
        new Promise<void>((resolve) => (timer = this.after(ms, resolve))),
      ]);
    } finally {
      timer?.cancel();
    }
  }

  /**
   * A signal that aborts after `ms` with a `TimeoutError` whose message says what timed out.
   * Pass it down to the work (`fetch`, the SDK's `RequestOptions.signal`) so the work stops,
   * rather than racing a timer against it (docs/style.md §13).
   */
  timeout(ms: number, what: string): AbortSignal {
    const controller = new AbortController();
    this.after(ms, () => controller.abort(timeoutError(what, ms)));
    return controller.signal;
  }
}

/** The reason a `Clock.timeout` signal aborts with: `name` is `TimeoutError`, as for `AbortSignal.timeout`. */
export function timeoutError(what: string, ms: number): Error {
  const err = new Error(`${what} timed out after ${ms} ms`);
  err.name = 'TimeoutError';
  return err;
}
