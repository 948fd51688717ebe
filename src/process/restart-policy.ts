import { backoffDelay } from '../events/backoff.js';
import type { ProcessTuning } from './process-tuning.js';

/**
 * The restart policy (docs/process.md "Lifecycle"): the shared backoff with jitter; more than
 * `maxCrashesInWindow` crashes within `crashWindowMs` means the server is permanently failed
 * until an operator restarts it.
 */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly tuning: Pick<
      ProcessTuning,
      'restartBackoff' | 'restartJitter' | 'crashWindowMs' | 'maxCrashesInWindow'
    >,
  ) {}

  /** Records a crash at `now`; returns the crash count in the window and the restart delay, if any. */
  recordCrash(now: number): { crashesInWindow: number; restartInMs?: number } {
    this.crashes = [...this.inWindow(now), now];
    const n = this.crashes.length;
    if (n > this.tuning.maxCrashesInWindow) return { crashesInWindow: n };
    const { restartBackoff, restartJitter } = this.tuning;
    return { crashesInWindow: n, restartInMs: backoffDelay(n, restartBackoff, restartJitter) };
  }

  crashesInWindow(now: number): number {
    return this.inWindow(now).length;
  }

  reset(): void {
    this.crashes = [];
  }

  private inWindow(now: number): number[] {
    return this.crashes.filter((t) => now - t < this.tuning.crashWindowMs);
  }
}
