// Invariant: a discovery that times out stops its work. Against a loopback upstream that accepts
// connections and never answers, the satellite's pending request is aborted (the upstream sees its
// connection closed), the server shows `error` with the timeout as its reason, and nothing more
// reaches the upstream afterwards: no SSE fallback, no cancellation message, no lingering request
// (the next attempt, a retry, waits on the test's clock). Measured as requests and bytes received:
// after an abort, Node's fetch (undici 7) may open one more connection to the origin and close it
// at once without sending a byte, so a bare connection count would measure undici, not us.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigFileWatcherService } from '../src/discovery/config-file-watcher.service.js';
import { UpstreamManagerService } from '../src/discovery/upstream-manager.service.js';
import { ManualClock } from './support/manual-clock.js';
import { type Satellite, startSatellite, waitFor } from './support/satellite.js';

const DISCOVERY_TIMEOUT_MS = 1_000;

/** An HTTP server that takes every connection and request, counts them, and never answers. */
class SilentUpstream {
  readonly connections: Socket[] = [];
  readonly requests: Array<{ method: string; url: string; body: string }> = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((req: IncomingMessage) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () =>
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', body }),
      );
      // no response, ever
    });
    this.server.on('connection', (socket: Socket) => this.connections.push(socket));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}/mcp`;
  }

  openConnections(): number {
    return this.connections.filter((s) => !s.destroyed).length;
  }

  /** Bytes received on all connections so far. */
  bytesReceived(): number {
    return this.connections.reduce((sum, s) => sum + s.bytesRead, 0);
  }

  async stop(): Promise<void> {
    for (const s of this.connections) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a discovery that times out', () => {
  let sat: Satellite;
  let upstream: SilentUpstream;
  // The satellite's clock: the discovery timeout fires when the test says, after the request
  // has reached the upstream, however slow the machine (and the retry never comes).
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    upstream = new SilentUpstream();
    const url = await upstream.listen();
    sat = await startSatellite(
      {},
      { DEPLOYSTACK_DISCOVERY_TIMEOUT_MS: String(DISCOVERY_TIMEOUT_MS) },
      { clock },
    );
    sat.writeConfig({ silent: { type: 'http', url } });
    void sat.app.get(ConfigFileWatcherService).reload(); // resolves once the discovery settled
    await waitFor(
      'the initialize request at the upstream',
      () => upstream.requests.length > 0,
      30_000,
    );
    clock.advance(DISCOVERY_TIMEOUT_MS);
    await waitFor(
      'the discovery to fail',
      () =>
        sat.app
          .get(UpstreamManagerService)
          .list()
          .find((u) => u.def.slug === 'silent')?.status === 'error',
      30_000,
    );
  }, 90_000);
  afterAll(async () => {
    await sat?.stop();
    await upstream?.stop();
  });

  it('fails with the timeout as its reason', () => {
    const info = sat.app
      .get(UpstreamManagerService)
      .list()
      .find((u) => u.def.slug === 'silent');
    expect(info).toMatchObject({
      status: 'error',
      lastError: `discovery of silent timed out after ${DISCOVERY_TIMEOUT_MS} ms`,
      toolCount: 0,
    });
    expect(info?.discoveryRetry?.failures).toBe(1);
  });

  it('reached the upstream with exactly one request, the Streamable HTTP initialize', () => {
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({ method: 'POST', url: '/mcp' });
    expect(JSON.parse(upstream.requests[0].body)).toMatchObject({ method: 'initialize' });
  });

  it('aborts the pending request: the upstream sees every connection closed', async () => {
    // Without cancellation the SDK would hold the request open for its own 60 s default.
    await waitFor(
      'the satellite to close its connections',
      () => upstream.openConnections() === 0,
      10_000,
    );
    expect(upstream.connections.length).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('sends nothing more afterwards: no fallback, no cancellation, no lingering connection', async () => {
    const bytes = upstream.bytesReceived();
    const requests = upstream.requests.length;
    // Watch for a while (real time): the work that timed out must not go on.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(upstream.requests).toHaveLength(requests);
    expect(upstream.bytesReceived()).toBe(bytes);
    expect(upstream.openConnections()).toBe(0);
  }, 20_000);
});
