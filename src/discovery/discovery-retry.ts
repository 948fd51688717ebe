/** `config.discovery.retryBaseMs` / `retryMaxMs` (defaults 1 s and 60 s, config.loader.ts). */
export interface BackoffOptions {
  /** The wait before the first retry (before jitter). */
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
 * The wait before retry `n` (1-based): exponential, `baseMs · 2^(n-1)` capped at `maxMs`, with
 * "equal jitter" (half of it fixed, half random: a value in [d/2, d]). The jitter spreads the
 * retries of many satellites (replicas restarted together) against one upstream that comes back;
 * the fixed half keeps a floor so that a dead server is never hammered. No library: none of the
 * installed dependencies does backoff, and this is the whole of it.
 */
export function backoffDelay(
  n: number,
  { baseMs, maxMs }: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponential = baseMs * 2 ** Math.min(Math.max(n - 1, 0), 30);
  const capped = Math.min(maxMs, exponential);
  return Math.round(capped / 2 + random() * (capped / 2));
}

/**
 * Retry timers of remote (HTTP/SSE) servers whose discovery failed, one per server id. The owner
 * records each failure (`failed`, which schedules the next attempt) and forgets the server when it
 * comes online or goes away (`clear`), and everything at shutdown (`clearAll`): no timer outlives
 * its server. Timers are unref'd as well, so a pending retry never keeps the process alive.
 */
export class DiscoveryRetry {
  private readonly pending = new Map<
    string,
    { state: DiscoveryRetryState; timer?: NodeJS.Timeout }
  >();

  /** `options` is read at each failure (the configuration is injected after construction). */
  constructor(private readonly options: () => BackoffOptions) {}

  /** Records a failed attempt of server `id` and runs `retry` after the backoff. */
  failed(id: string, error: string, retry: () => void): DiscoveryRetryState {
    const previous = this.pending.get(id);
    clearTimeout(previous?.timer);
    const failures = (previous?.state.failures ?? 0) + 1;
    const delay = backoffDelay(failures, this.options());
    const entry: { state: DiscoveryRetryState; timer?: NodeJS.Timeout } = {
      state: {
        failures,
        nextRetryAt: new Date(Date.now() + delay).toISOString(),
        lastError: error,
      },
    };
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (this.pending.get(id) === entry) retry();
    }, delay);
    entry.timer.unref();
    this.pending.set(id, entry);
    return entry.state;
  }

  get(id: string): DiscoveryRetryState | undefined {
    return this.pending.get(id)?.state;
  }

  /** Stops retrying server `id` (online, removed, replaced or disabled). */
  clear(id: string): void {
    clearTimeout(this.pending.get(id)?.timer);
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
