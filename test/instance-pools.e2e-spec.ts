// Invariant: an HTTP server with several instances keeps serving when one dies (a handful of
// calls fail at most, then none), takes the instance back once it returns; a dead server's
// breaker fails calls fast without connecting and closes after it recovers; a burst past the
// concurrency limit and its queue is refused as "busy", never piled up.
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, type Satellite, startSatellite, waitFor } from './support/satellite.js';
import { freePort, startEverythingHttp } from './support/upstreams.js';

const text = (r: CallToolResult) =>
  r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

interface InstanceEntry {
  url: string;
  state: string;
  outstanding: number;
  calls: number;
  breaker: string;
}
interface ServerEntry {
  slug: string;
  instances: InstanceEntry[];
  breaker: { state: string; running: number; queued: number; retries: number };
}

async function serverEntry(sat: Satellite, slug: string): Promise<ServerEntry> {
  const res = await fetch(`${sat.baseUrl}/api/status/debug`);
  const body = (await res.json()) as { teams: Record<string, Record<string, ServerEntry[]>> };
  const all = Object.values(body.teams).flatMap((t) => Object.values(t).flat());
  const entry = all.find((e) => e.slug === slug);
  if (!entry) throw new Error(`no status entry for ${slug}`);
  return entry;
}

function call(client: Client, tool: string, args: Record<string, unknown>) {
  return client.request(
    {
      method: 'tools/call',
      params: { name: 'execute_mcp_tool', arguments: { tool_path: tool, arguments: args } },
    },
    CallToolResultSchema,
    { timeout: 60_000 },
  ) as Promise<CallToolResult>;
}

/** A listener that accepts and at once resets each connection, counting them: a dead server. */
async function resetServer(
  port: number,
): Promise<{ readonly connections: number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.resetAndDestroy();
  });
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', res));
  return {
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

describe('instance pools', () => {
  it('survives one instance SIGKILLed under load and takes it back when it returns', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    let a = await startEverythingHttp('streamableHttp', portA);
    const b = await startEverythingHttp('streamableHttp', portB);
    cleanups.push(() => b.stop());
    const sat = await startSatellite(
      { pool: { type: 'http', url: a.url, urls: [a.url, b.url] } },
      {
        DEPLOYSTACK_HEALTH_INTERVAL_MS: '1000',
        DEPLOYSTACK_HEALTH_UNHEALTHY_AFTER: '2',
        DEPLOYSTACK_BREAKER_HALF_OPEN_AFTER_MS: '1000',
        DEPLOYSTACK_MAX_CONCURRENT_CALLS_PER_PRINCIPAL: '100',
      },
    );
    cleanups.push(() => sat.stop());
    const clients = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) => connectClient(sat.mcpUrl, `load-${n}`)),
    );
    cleanups.push(() => Promise.all(clients.map((c) => c.close())));

    let failed: string[] = [];
    let ok = 0;
    let stop = false;
    // Each session calls in a loop: echo, and now and then a call that takes a while, so some
    // are in flight on the instance when it is killed.
    const load = clients.map(async (client, n) => {
      for (let i = 0; !stop; i++) {
        const r =
          i % 5 === 0
            ? await call(client, 'pool-trigger-long-running-operation', { duration: 0.4, steps: 2 })
            : await call(client, 'pool-echo', { message: `s${n}-${i}` });
        if (r.isError) failed.push(text(r));
        else ok++;
      }
    });
    const callsOn = async () => (await serverEntry(sat, 'pool')).instances.map((i) => i.calls);
    const balanced = await waitFor(
      'calls on both instances',
      async () => {
        const [onA, onB] = await callsOn();
        return onA > 50 && onB > 50 && { a: onA, b: onB };
      },
      60_000,
    );

    a.child.kill('SIGKILL');
    await waitFor(
      'instance A ejected',
      async () => (await serverEntry(sat, 'pool')).instances[0].state === 'ejected',
      30_000,
    );
    const okAtEjection = ok;
    await waitFor('calls after the ejection', () => ok > okAtEjection + 60, 60_000);
    stop = true;
    await Promise.all(load);
    const failedAroundKill = failed;

    const { retries } = (await serverEntry(sat, 'pool')).breaker;
    console.log(
      `pool: before the kill A ${balanced.a} / B ${balanced.b} calls; around the kill ${failedAroundKill.length} of ${ok + failedAroundKill.length} calls failed, ${retries} were sent again to B`,
      failedAroundKill,
    );
    // Calls in flight on A when it died are retried on B (echo and the long operation are
    // annotated read-only); only a call whose retry also failed could end as an error.
    expect(failedAroundKill.length).toBeLessThanOrEqual(3);

    // Every call from now on succeeds: A is out of rotation.
    failed = [];
    const after = await Promise.all(
      clients.flatMap((c, n) =>
        [0, 1, 2, 3, 4].map((i) => call(c, 'pool-echo', { message: `after-${n}-${i}` })),
      ),
    );
    expect(after.filter((r) => r.isError).map(text)).toEqual([]);

    // A comes back on the same port: a probe notices, and new sessions are sent to it.
    a = await startEverythingHttp('streamableHttp', portA);
    cleanups.push(() => a.stop());
    await waitFor(
      'instance A back in rotation',
      async () => (await serverEntry(sat, 'pool')).instances.every((i) => i.state === 'healthy'),
      30_000,
    );
    const [onABefore] = await callsOn();
    const fresh = await Promise.all(
      [1, 2, 3, 4].map((n) => connectClient(sat.mcpUrl, `fresh-${n}`)),
    );
    cleanups.push(() => Promise.all(fresh.map((c) => c.close())));
    const back = await Promise.all(
      fresh.flatMap((c, n) =>
        [0, 1, 2].map((i) => call(c, 'pool-echo', { message: `back-${n}-${i}` })),
      ),
    );
    expect(back.filter((r) => r.isError).map(text)).toEqual([]);
    const [onAAfter] = await callsOn();

    console.log(
      `pool: after A returned, ${onAAfter - onABefore} of ${back.length} new calls went to A`,
    );
    expect(onAAfter).toBeGreaterThan(onABefore);

    const metrics = await (await fetch(`${sat.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /satellite_upstream_instance_up\{server="pool",instance="http:\/\/127\.0\.0\.1:\d+\/mcp"\} 1/,
    );
    expect(metrics).toMatch(
      /satellite_upstream_instance_ejections_total\{server="pool",instance="[^"]+"\} [1-9]/,
    );
  }, 240_000);

  it('opens the breaker of a dead server: calls fail fast without connecting, and it closes after recovery', async () => {
    const port = await freePort();
    let peer = await startEverythingHttp('streamableHttp', port);
    const sat = await startSatellite(
      { solo: { type: 'http', url: peer.url } },
      {
        // No active checks: every connection attempt below is a call's.
        DEPLOYSTACK_HEALTH_INTERVAL_MS: '0',
        DEPLOYSTACK_BREAKER_CONSECUTIVE_FAILURES: '3',
        DEPLOYSTACK_BREAKER_HALF_OPEN_AFTER_MS: '2000',
      },
    );
    cleanups.push(() => sat.stop());
    const client = await connectClient(sat.mcpUrl);
    cleanups.push(() => client.close());
    expect((await call(client, 'solo-echo', { message: 'up' })).isError).toBeFalsy();

    await peer.stop();
    const dead = await resetServer(port);
    cleanups.push(() => dead.close());
    const errors: string[] = [];
    for (let i = 0; i < 3; i++)
      errors.push(text(await call(client, 'solo-echo', { message: `down-${i}` })));
    await waitFor(
      'breaker open',
      async () => (await serverEntry(sat, 'solo')).breaker.state === 'open',
    );
    const attemptsWhileClosed = dead.connections;
    expect(attemptsWhileClosed).toBeGreaterThan(0);

    const fast: string[] = [];
    for (let i = 0; i < 10; i++)
      fast.push(text(await call(client, 'solo-echo', { message: `open-${i}` })));

    console.log(
      `breaker: ${attemptsWhileClosed} connection attempts before it opened, ${dead.connections - attemptsWhileClosed} for 10 calls after`,
    );
    expect(dead.connections).toBe(attemptsWhileClosed);
    for (const t of fast) expect(t).toMatch(/circuit breaker is open/);

    await dead.close();
    peer = await startEverythingHttp('streamableHttp', port);
    cleanups.push(() => peer.stop());
    // After the wait, one call probes; once it succeeds the breaker closes and calls go through.
    const recovered = await waitFor(
      'a successful call after recovery',
      async () => {
        const r = await call(client, 'solo-echo', { message: 'again' });
        return r.isError ? undefined : r;
      },
      30_000,
    );
    expect(text(recovered)).toContain('again');
    expect((await serverEntry(sat, 'solo')).breaker.state).toBe('closed');
  }, 120_000);

  it('refuses a burst past the concurrency limit and queue with "busy"', async () => {
    const peer = await startEverythingHttp('streamableHttp');
    cleanups.push(() => peer.stop());
    const sat = await startSatellite(
      { slow: { type: 'http', url: peer.url } },
      {
        DEPLOYSTACK_SERVER_MAX_CONCURRENT: '2',
        DEPLOYSTACK_SERVER_MAX_QUEUE: '3',
        DEPLOYSTACK_MAX_CONCURRENT_CALLS_PER_PRINCIPAL: '100',
      },
    );
    cleanups.push(() => sat.stop());
    const clients = await Promise.all(
      [1, 2, 3].map((n) => connectClient(sat.mcpUrl, `burst-${n}`)),
    );
    cleanups.push(() => Promise.all(clients.map((c) => c.close())));
    const burst = 12;
    const results = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        call(clients[i % clients.length], 'slow-trigger-long-running-operation', {
          duration: 4,
          steps: 2,
        }),
      ),
    );
    const busy = results.filter((r) => r.isError && /is busy/.test(text(r)));
    const done = results.filter((r) => !r.isError);

    console.log(`burst of ${burst}: ${done.length} ran, ${busy.length} refused as busy`);
    expect(busy.length).toBe(burst - 2 - 3);
    expect(done.length).toBe(2 + 3);
    const metrics = await (await fetch(`${sat.baseUrl}/metrics`)).text();
    expect(metrics).toContain(
      `satellite_upstream_calls_rejected_total{server="slow",reason="busy"} ${burst - 5}`,
    );
  }, 120_000);
});
