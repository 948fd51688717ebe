import { describe, expect, it } from '@jest/globals';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { loadSatelliteConfig } from '../config/config.loader.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ClientQuotaService, isRefusal, QUOTA_EXCEEDED } from './client-quota.service.js';

function quotas(env: Record<string, string> = {}) {
  const config = loadSatelliteConfig(env);
  const metrics = new MetricsService(config);
  const clock = new ManualClock();
  return { quotas: new ClientQuotaService(config, metrics, clock), metrics, clock };
}

describe('ClientQuotaService', () => {
  it('is a token bucket per principal: a minute of burst, refilled evenly, Retry-After to the next token', () => {
    const { quotas: q, clock } = quotas({ DEPLOYSTACK_RATE_LIMIT_PER_MINUTE: '60' });
    expect(q.takeCalls('a', 60)).toBeUndefined();
    expect(q.takeCalls('a', 1)).toMatchObject({ limit: 'rate', retryAfterSeconds: 1 });
    expect(q.takeCalls('b', 1)).toBeUndefined(); // another principal
    expect(q.takeCalls(undefined, 1000)).toBeUndefined(); // the anonymous caller
    clock.advance(1000);
    expect(q.takeCalls('a', 1)).toBeUndefined(); // one token per second
    expect(q.takeCalls('a', 5)).toMatchObject({ retryAfterSeconds: 5 });
    clock.advance(599_000);
    expect(q.takeCalls('a', 61)).toMatchObject({ retryAfterSeconds: 60 });
  });

  it('caps sessions (open + being opened) and streams, and frees places once', () => {
    const { quotas: q } = quotas({
      DEPLOYSTACK_MAX_SESSIONS_PER_PRINCIPAL: '2',
      DEPLOYSTACK_MAX_STREAMS_PER_SESSION: '1',
    });
    const first = q.reserveSession('a', 1);
    expect(isRefusal(first)).toBe(false);
    expect(q.reserveSession('a', 1)).toMatchObject({ limit: 'sessions' });
    (first as () => void)();
    (first as () => void)(); // idempotent
    expect(isRefusal(q.reserveSession('a', 1))).toBe(false);
    const stream = q.openStream('s1');
    expect(q.openStream('s1')).toMatchObject({ limit: 'streams' });
    expect(isRefusal(q.openStream('s2'))).toBe(false);
    (stream as () => void)();
    expect(isRefusal(q.openStream('s1'))).toBe(false);
  });

  it('refuses a call past the limit at once with a JSON-RPC error, and counts refusals', async () => {
    const { quotas: q, metrics } = quotas({ DEPLOYSTACK_MAX_CONCURRENT_CALLS_PER_PRINCIPAL: '1' });
    const release = q.enterCall({ userId: 'a' });
    const err = (() => {
      try {
        q.enterCall({ userId: 'a' });
      } catch (e) {
        return e as McpError;
      }
      throw new Error('not refused');
    })();
    expect(err).toBeInstanceOf(McpError);
    expect(err.code).toBe(QUOTA_EXCEEDED);
    q.enterCall({ userId: 'b' })();
    release();
    q.enterCall({ userId: 'a' })();
    q.enterCall({})(); // the anonymous caller
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^satellite_quota_rejections_total\{limit="concurrency"\} 1$/m);
    expect(text).toMatch(/^satellite_quota_rejections_total\{limit="rate"\} 0$/m);
  });
});
