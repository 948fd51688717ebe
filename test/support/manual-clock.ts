import { Clock, type TimerHandle } from '../../src/events/clock.js';

/**
 * The one fake of the one `Clock` (src/events/clock.ts), for unit and e2e tests: `now` moves only
 * when told (`advance`) or when code sleeps (a sleep advances time and yields to the event loop);
 * timers, intervals and `timeout` signals fire on `advance`, in order of their due time.
 */
export class ManualClock extends Clock {
  private t: number;
  private timers: Array<{ at: number; fn: () => void; cancelled: boolean; every?: number }> = [];

  constructor(start = 1_000_000) {
    super();
    this.t = start;
  }

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

  /** Timers and intervals that have not fired (or been cancelled) yet. */
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

  /** `advance`, then a few turns of the event loop so that what the timers started can run. */
  async advanceAndSettle(ms: number): Promise<void> {
    this.advance(ms);
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  }
}
