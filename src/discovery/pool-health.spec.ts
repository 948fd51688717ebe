import { describe, expect, it } from '@jest/globals';
import type { InstanceView, PoolView } from './instance-pool.js';
import { poolHealth } from './pool-health.js';

const instance = (state: InstanceView['state']): InstanceView => ({
  url: 'http://127.0.0.1:1/mcp',
  state,
  breaker: state === 'healthy' ? 'closed' : 'open',
  outstanding: 0,
  calls: 0,
  ejections: 0,
  failed_checks: 0,
  last_check_at: null,
});

const pool = (
  states: InstanceView['state'][],
  breaker: 'closed' | 'open' = 'closed',
): PoolView => ({
  instances: states.map(instance),
  breaker: { state: breaker, opened_at: null },
  concurrency: { running: 0, queued: 0, limit: 1, queue_limit: 0 },
  totals: { busy: 0, breaker_open: 0, retries: 0 },
});

const running = { status: 'running', health_status: 'healthy' } as const;

describe('poolHealth: one health_status for a pool on the fixed heartbeat shape', () => {
  it('is healthy while at least one instance is in rotation', () => {
    expect(poolHealth(running, pool(['ejected', 'healthy']))).toEqual(running);
  });

  it('is unhealthy when no instance is in rotation, or the server breaker is open', () => {
    expect(poolHealth(running, pool(['ejected', 'probing'])).health_status).toBe('unhealthy');
    expect(poolHealth(running, pool(['healthy'], 'open')).health_status).toBe('unhealthy');
  });

  it('leaves servers that are not running, and stdio servers, as they are', () => {
    const failed = { status: 'failed', health_status: 'unhealthy' } as const;
    expect(poolHealth(failed, pool(['healthy']))).toEqual(failed);
    expect(poolHealth(running, undefined)).toEqual(running);
  });
});
