// Invariant: a call that may have reached an instance that died is sent to another instance only
// when it is safe to repeat (retryable); otherwise it fails with the connection error, promptly
// (the dead instance's connection is closed on ejection), and is never sent twice.
import { afterEach, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ResilienceSettings } from '../src/config/satellite-config.js';
import type { HttpServerDefinition } from '../src/config/server-definition.js';
import { InstancePool, type PoolHooks } from '../src/discovery/instance-pool.js';
import { waitFor } from './support/satellite.js';
import { type HttpPeer, startEverythingHttp } from './support/upstreams.js';

const settings: ResilienceSettings = {
  healthIntervalMs: 60_000, // checks on; only the transport's error triggers one in this test
  healthTimeoutMs: 2_000,
  unhealthyAfter: 2,
  breakerConsecutiveFailures: 5,
  breakerFailureRate: 0.5,
  breakerWindowMs: 30_000,
  breakerMinCalls: 20,
  breakerHalfOpenAfterMs: 5_000,
  maxConcurrent: 16,
  maxQueue: 16,
};

function recordingHooks() {
  const seen = { retries: 0, ejected: [] as string[] };
  const hooks: PoolHooks = {
    onRejected: () => undefined,
    onRetry: () => void seen.retries++,
    onEjected: (url) => void seen.ejected.push(url),
  };
  return { seen, hooks };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
}, 30_000);
/** Stops a peer unless the test killed it. */
const stop = (peer: HttpPeer) => () =>
  peer.child.exitCode === null && peer.child.signalCode === null ? peer.stop() : Promise.resolve();

async function twoInstancePool(): Promise<{
  pool: InstancePool;
  a: HttpPeer;
  b: HttpPeer;
  seen: { retries: number; ejected: string[] };
}> {
  const [a, b] = await Promise.all([
    startEverythingHttp('streamableHttp'),
    startEverythingHttp('streamableHttp'),
  ]);
  cleanups.push(stop(a), stop(b));
  const def: HttpServerDefinition = {
    id: 'pool',
    slug: 'pool',
    team: 'default',
    enabled: true,
    transport: 'http',
    url: a.url,
    urls: [a.url, b.url],
    headers: {},
    secrets: [],
  };
  const { seen, hooks } = recordingHooks();
  const pool = new InstancePool(
    def,
    settings,
    () => new Client({ name: 'pool-test', version: '1.0.0' }),
    hooks,
  );
  cleanups.push(() => pool.close());
  await pool.connect();
  return { pool, a, b, seen };
}

/**
 * A 3-second call on the pool, started while both instances are idle: it goes to A (listed
 * first). `running` resolves at its first progress notification: the server is working on it.
 */
function slowCall(pool: InstancePool, retryable: boolean) {
  let started!: () => void;
  const running = new Promise<void>((res) => (started = res));
  const result = pool.withClient(
    (client) =>
      client.request(
        {
          method: 'tools/call',
          params: { name: 'trigger-long-running-operation', arguments: { duration: 3, steps: 3 } },
        },
        CallToolResultSchema,
        { timeout: 60_000, onprogress: () => started() },
      ),
    { retryable, affinity: 'session-1' },
  );
  return { result, running };
}

describe('instance pool: retries after an instance dies mid-call', () => {
  it('fails a call that is not safe to repeat, promptly, and sends it nowhere else', async () => {
    const { pool, a, seen } = await twoInstancePool();
    const { result, running } = slowCall(pool, false);
    const call = result.then(
      () => 'succeeded',
      (err: Error) => err.message,
    );
    await running;
    expect(pool.view().instances[0].outstanding).toBe(1);
    a.child.kill('SIGKILL');
    const outcome = await call;

    console.log(`not retryable: the call failed with "${outcome}"`);
    // Failed when A was ejected (its connection closed), not at the 60 s timeout.
    expect(outcome).toMatch(/Connection closed/);
    await waitFor('A ejected', () => seen.ejected.length > 0);
    expect(seen.ejected).toEqual([a.url]);
    expect(seen.retries).toBe(0);
    expect(pool.view().instances[1].calls).toBe(0);
  }, 60_000);

  it('sends a retryable call to the other instance, which answers it', async () => {
    const { pool, a, seen } = await twoInstancePool();
    const call = slowCall(pool, true);
    await call.running;
    expect(pool.view().instances[0].outstanding).toBe(1);
    a.child.kill('SIGKILL');
    const result = await call.result;
    expect(result.isError).toBeFalsy();
    expect(seen.retries).toBe(1);
    expect(pool.view().instances[1].calls).toBe(1);
    // The session's next call stays on B, the instance it moved to.
    await pool.withClient((c) => c.ping(), { affinity: 'session-1' });
    expect(pool.view().instances[1].calls).toBe(2);
  }, 60_000);
});
