import { type CircuitBreakerPolicy, CircuitState } from 'cockatiel';
import type { TimerHandle } from '../events/clock.js';
import { breakerState } from './breaker-policy.js';
import type { HttpUpstream } from './http-upstream.js';
import type { InstanceView } from './pool-view.js';

/** One instance of an instance pool (instance-pool.ts): its session, breaker and counters. */
export interface Instance {
  readonly url: string;
  readonly upstream: HttpUpstream;
  readonly breaker: CircuitBreakerPolicy;
  outstanding: number;
  calls: number;
  /** Set while failed active checks hold it out of rotation (cockatiel's isolation). */
  isolation?: { dispose(): void };
  failedChecks: number;
  ejections: number;
  /** Out of rotation since its last ejection. */
  out?: boolean;
  lastCheckAt?: string;
  lastError?: string;
  checking?: Promise<void>;
  timer?: TimerHandle;
}

/** In rotation: its breaker is closed (not open after failures, not isolated by failed checks). */
export function inRotation(instance: Instance): boolean {
  return instance.breaker.state === CircuitState.Closed;
}

/** How an instance shows in the status and debug routes. */
export function instanceView(i: Instance): InstanceView {
  return {
    url: i.url,
    state: inRotation(i)
      ? 'healthy'
      : i.breaker.state === CircuitState.HalfOpen
        ? 'probing'
        : 'ejected',
    breaker: breakerState(i.breaker),
    outstanding: i.outstanding,
    calls: i.calls,
    ejections: i.ejections,
    failed_checks: i.failedChecks,
    last_check_at: i.lastCheckAt ?? null,
    ...(i.lastError ? { last_error: i.lastError } : {}),
  };
}
