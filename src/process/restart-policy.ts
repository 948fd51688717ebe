import type { ProcessTuning } from './process-tuning.js';

/**
 * The restart policy (docs/process.md "Lifecycle"): growing backoff; more than
 * `maxCrashesInWindow` crashes within `crashWindowMs` means the server is permanently failed
 * until an operator restarts it.
 */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    private readonly tuning: Pick<
      ProcessTuning,
      'restartBackoffMs' | 'crashWindowMs' | 'maxCrashesInWindow'
    >,
  ) {}

  /** Records a crash at `now`; returns the crash count in the window and the restart delay, if any. */
  recordCrash(now: number): { crashesInWindow: number; restartInMs?: number } {
    this.crashes = [...this.inWindow(now), now];
    const n = this.crashes.length;
    if (n > this.tuning.maxCrashesInWindow) return { crashesInWindow: n };
    const steps = this.tuning.restartBackoffMs;
    return { crashesInWindow: n, restartInMs: steps[Math.min(n - 1, steps.length - 1)] ?? 0 };
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
