// What an instance pool (instance-pool.ts) shows of itself: the status routes, the debug route
// and the metrics read these (docs/operations.md "Instance pools").
import type { BreakerState } from './breaker-policy.js';

/** `healthy`: in rotation; `ejected`: out (breaker open or failed checks); `probing`: one probe runs. */
export type InstanceState = 'healthy' | 'ejected' | 'probing';

export interface InstanceView {
  readonly url: string;
  readonly state: InstanceState;
  readonly breaker: BreakerState;
  /** Calls running on it now, and calls sent to it since it was configured (checks not counted). */
  readonly outstanding: number;
  readonly calls: number;
  readonly ejections: number;
  readonly failed_checks: number;
  readonly last_check_at: string | null;
  readonly last_error?: string;
}

export interface PoolView {
  readonly instances: readonly InstanceView[];
  readonly breaker: {
    readonly state: BreakerState;
    readonly opened_at: string | null;
    readonly last_failure?: string;
  };
  readonly concurrency: {
    readonly running: number;
    readonly queued: number;
    readonly limit: number;
    readonly queue_limit: number;
  };
  readonly totals: {
    readonly busy: number;
    readonly breaker_open: number;
    readonly retries: number;
  };
}

/** What the pool reports as it happens (metrics, pool-metrics.service.ts). */
export interface PoolHooks {
  onRejected(reason: 'busy' | 'breaker_open'): void;
  onRetry(): void;
  onEjected(url: string): void;
}
