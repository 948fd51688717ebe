import type { BackoffPolicy } from '../events/backoff.js';

/**
 * Supervision knobs that are not operator settings (SatelliteConfig holds those): the restart
 * policy (docs/process.md "Lifecycle") and the containment caps. Provided with these defaults by
 * ProcessModule; tests override the provider to run the policy on a short clock.
 */
export class ProcessTuning {
  /**
   * Backoff before restart n (1-based) after a crash, the shared one (src/events/backoff.ts):
   * ceilings 1 s, 4 s, 15 s with full jitter, at least 0.5 s.
   */
  readonly restartBackoff: BackoffPolicy = { baseMs: 1_000, factor: 4, maxMs: 15_000, minMs: 500 };
  /** The jitter's random source ([0, 1)); a test pins it to get exact delays. */
  readonly restartJitter: () => number = Math.random;
  /** More than `maxCrashesInWindow` crashes within `crashWindowMs` → permanently_failed. */
  readonly crashWindowMs: number = 5 * 60_000;
  readonly maxCrashesInWindow: number = 3;
  /** Longest stdout line (one JSON-RPC message) accepted from a server. */
  readonly maxLineBytes: number = 4 * 1024 * 1024;
  /** Longer stderr lines are truncated (the rest of the line is dropped). */
  readonly maxStderrLineBytes: number = 8 * 1024;
  /** stderr lines per second per server that reach the log and `mcp.server.logs`, after a burst. */
  readonly stderrLinesPerSecond: number = 20;
  readonly stderrBurst: number = 100;
  /** `mcp.server.logs` batches: at most this many entries, flushed at least this often. */
  readonly logBatchSize: number = 50;
  readonly logFlushMs: number = 1_000;
  /** How often the built-in idle reaper runs (0: never; a jobs module may call reapIdle instead). */
  readonly reaperIntervalMs: number = 30_000;
  /** After SIGKILL, how long to wait for a process group to disappear before giving up. */
  readonly killWaitMs: number = 2_000;
  /** After the direct child exits, how long buffered stdout may still drain before the transport closes. */
  readonly exitDrainMs: number = 100;

  static with(overrides: Partial<ProcessTuning>): ProcessTuning {
    return Object.assign(new ProcessTuning(), overrides);
  }
}
