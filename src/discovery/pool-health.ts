import type { PoolView } from './instance-pool.js';
import type { ProcessState } from './server-control.js';

/**
 * The heartbeat's wire shape is fixed (one `health_status` per server), so a pool sums up its
 * instances there: a running server is `unhealthy` while its breaker is open or no instance is in
 * rotation, `healthy` while at least one is. Each instance's own state is on the debug route and
 * in `/metrics` (docs/operations.md "Instance pools").
 */
export function poolHealth(
  state: Pick<ProcessState, 'status' | 'health_status'>,
  pool: PoolView | undefined,
): Pick<ProcessState, 'status' | 'health_status'> {
  if (!pool || state.status !== 'running') return state;
  const serving =
    pool.breaker.state !== 'open' && pool.instances.some((i) => i.state === 'healthy');
  return { ...state, health_status: serving ? 'healthy' : 'unhealthy' };
}
