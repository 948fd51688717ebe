import {
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  type IBreaker,
  SamplingBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import type { ResilienceSettings } from '../config/satellite-config.js';

export type BreakerState = 'closed' | 'open' | 'half_open' | 'isolated';

export function breakerState(policy: CircuitBreakerPolicy): BreakerState {
  switch (policy.state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half_open';
    case CircuitState.Isolated:
      return 'isolated';
  }
}

/**
 * Opens on whichever trips first: `consecutive` failures in a row, or a failure rate over the
 * sampling window (cockatiel ships the two separately).
 */
class EitherBreaker implements IBreaker {
  constructor(private readonly breakers: readonly IBreaker[]) {}

  get state(): unknown {
    return this.breakers.map((b) => b.state);
  }

  set state(value: unknown) {
    if (!Array.isArray(value)) return;
    const states = value as unknown[];
    this.breakers.forEach((b, i) => {
      b.state = states[i];
    });
  }

  success(state: CircuitState): void {
    for (const b of this.breakers) b.success(state);
  }

  failure(state: CircuitState): boolean {
    // Every breaker sees every failure, so no count falls behind.
    return this.breakers.map((b) => b.failure(state)).some(Boolean);
  }
}

/**
 * A cockatiel circuit breaker with the satellite's thresholds; only errors for which
 * `isFailure` holds count (call-failure.ts), any other error passes through uncounted.
 */
export function newBreaker(
  s: ResilienceSettings,
  isFailure: (err: unknown) => boolean,
): CircuitBreakerPolicy {
  return circuitBreaker(handleWhen(isFailure), {
    halfOpenAfter: s.breakerHalfOpenAfterMs,
    breaker: new EitherBreaker([
      new ConsecutiveBreaker(s.breakerConsecutiveFailures),
      new SamplingBreaker({
        threshold: s.breakerFailureRate,
        duration: s.breakerWindowMs,
        minimumRps: s.breakerMinCalls / (s.breakerWindowMs / 1000),
      }),
    ]),
  });
}
