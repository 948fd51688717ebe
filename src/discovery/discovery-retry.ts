import { backoffDelay } from '../events/backoff.js';
import type { Clock, TimerHandle } from '../events/clock.js';

/** `config.discovery.retryBaseMs` / `retryMaxMs` (defaults 1 s and 60 s, config.loader.ts). */
export interface BackoffOptions {
  /** The ceiling of the wait before the first retry. */
  readonly baseMs: number;
  /** No wait is longer than this. */
  readonly maxMs: number;
}

/** Why a remote server has no tools yet and when it is tried again (the debug route shows it). */
export interface DiscoveryRetryState {
  /** Failed discovery attempts in a row, the first one included. */
  readonly failures: number;
  /** When the next attempt starts (ISO time); in the past while that attempt runs. */
  readonly nextRetryAt: string;
  readonly lastError: string;
}

/**
 * The wait before retry `n` (1-based): the shared backoff (src/events/backoff.ts), doubling from
 * `baseMs` up to `maxMs` with full jitter, never below `baseMs / 2` so that a dead server is never
 * hammered. The jitter spreads the retries of many satellites (replicas restarted together)
 * against one upstream that comes back.
 */
export function discoveryRetryDelay(
  n: number,
  { baseMs, maxMs }: BackoffOptions,
  random: () => number = Math.random,
): number {
  return backoffDelay(n, { baseMs, maxMs, minMs: baseMs / 2 }, random);
}

/**
 * Retry timers of remote (HTTP/SSE) servers whose discovery failed, one per server id. The owner
 * records each failure (`failed`, which schedules the next attempt) and forgets the server when it
 * comes online or goes away (`clear`), and everything at shutdown (`clearAll`): no timer outlives
 * its server. Timers are the clock's (unref'd), so a pending retry never keeps the process alive.
 */
export class DiscoveryRetry {
  private readonly pending = new Map<string, { state: DiscoveryRetryState; timer?: TimerHandle }>();

  /**
   * `options` and `clock` are read at each failure (both are injected into the owner after this
   * is constructed).
   */
  constructor(
    private readonly options: () => BackoffOptions,
    private readonly clock: () => Clock,
  ) {}

  /** Records a failed attempt of server `id` and runs `retry` after the backoff. */
  failed(id: string, error: string, retry: () => void): DiscoveryRetryState {
    const previous = this.pending.get(id);
    previous?.timer?.cancel();
    const failures = (previous?.state.failures ?? 0) + 1;
    const delay = discoveryRetryDelay(failures, this.options());
    const entry: { state: DiscoveryRetryState; timer?: TimerHandle } = {
      state: {
        failures,
        nextRetryAt: new Date(this.clock().now() + delay).toISOString(),
        lastError: error,
      },
    };
    entry.timer = this.clock().after(delay, () => {
      entry.timer = undefined;
      if (this.pending.get(id) === entry) retry();
    });
    this.pending.set(id, entry);
    return entry.state;
  }

  get(id: string): DiscoveryRetryState | undefined {
    return this.pending.get(id)?.state;
  }

  /** Stops retrying server `id` (online, removed, replaced or disabled). */
  clear(id: string): void {
    this.pending.get(id)?.timer?.cancel();
    this.pending.delete(id);
  }

  clearAll(): void {
    for (const id of [...this.pending.keys()]) this.clear(id);
  }

  /** Servers with a retry scheduled or running. */
  size(): number {
    return this.pending.size;
  }
}
