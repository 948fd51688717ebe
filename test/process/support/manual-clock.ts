import { ProcessClock, type TimerHandle } from '../../../src/process/process-clock.js';

/**
 * A clock for unit tests: `now` moves only when told (`advance`) or when code sleeps (a sleep
 * advances time and yields to the event loop); timers fire on `advance`.
 */
export class ManualClock extends ProcessClock {
  private t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; cancelled: boolean; every?: number }> = [];

  override now(): number {
    return this.t;
  }

  override after(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  override every(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, fn, cancelled: false, every: ms };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  override async sleep(ms: number): Promise<void> {
    this.t += ms;
    await new Promise((r) => setImmediate(r));
  }

  /** Gives the promise a few turns of the event loop, without moving time (no timer is due). */
  override async within(promise: Promise<unknown>): Promise<void> {
    let settled = false;
    void promise.finally(() => (settled = true));
    for (let i = 0; i < 50 && !settled; i++) await new Promise((r) => setImmediate(r));
  }

  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= until)
        .sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      if (due.every) due.at += due.every;
      else due.cancelled = true;
      due.fn();
    }
    this.t = until;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }
}
