// Invariant: no event is lost: not during a 10-minute backend outage, not when the satellite dies
// with events queued; a full queue drops the oldest and counts them; a refused batch loses only its
// malformed event; 429 waits as told; shutdown flushes.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { BackendConnectionService } from '../../src/backend/backend-connection.service.js';
import { EVENT_QUEUE_FILE } from '../../src/backend/backend.module.js';
import { EventBusService } from '../../src/events/event-bus.service.js';
import { EventShipperService } from '../../src/events/event-shipper.service.js';
import { FakeBackend } from '../fake-backend/fake-backend.js';
import {
  type HarnessOptions,
  type ManagedHarness,
  startManaged,
} from './support/managed-harness.js';

const TICK_MS = 3_000;
let serial = 0;

describe('event shipping', () => {
  let backend: FakeBackend;
  const harnesses: ManagedHarness[] = [];

  beforeAll(async () => {
    backend = await FakeBackend.start();
  });
  afterEach(async () => {
    backend.clearFailures();
    backend.refuseEventsWhere(undefined);
    for (const h of harnesses.splice(0)) await h.close();
  });
  afterAll(async () => {
    await backend.stop();
  });

  async function connected(options: HarnessOptions = {}): Promise<ManagedHarness> {
    const token = `deploystack_satellite_global_events_${serial++}`;
    backend.addRegistrationToken(token);
    const h = await startManaged(backend, { registrationToken: token, ...options });
    harnesses.push(h);
    expect(await h.get(BackendConnectionService).connect()).toBe(true);
    return h;
  }

  function emitStatus(h: ManagedHarness, marker: string): void {
    h.get(EventBusService).emit('mcp.server.status_changed', {
      installation_id: 'inst-1',
      team_id: 'team-a',
      status: 'online',
      status_message: marker,
      timestamp: new Date(h.clock.now()).toISOString(),
    });
  }

  const marker = (data: Record<string, unknown>) =>
    typeof data.status_message === 'string' ? data.status_message : '';
  const delivered = (prefix: string) =>
    backend.events.map((e) => marker(e.data)).filter((m) => m.startsWith(prefix));

  /** Flushes every simulated 3 s until the queue is empty (bounded). */
  async function drain(h: ManagedHarness): Promise<void> {
    const shipper = h.get(EventShipperService);
    for (let i = 0; i < 500 && shipper.stats().queued > 0; i++) {
      await shipper.flush();
      h.clock.advance(TICK_MS);
    }
    expect(shipper.stats().queued).toBe(0);
  }

  it('loses nothing while the backend is down for 10 simulated minutes', async () => {
    const h = await connected();
    const shipper = h.get(EventShipperService);
    backend.fail('events', { kind: 'status', status: 503 });
    const before = backend.calls('events');
    const markers: string[] = [];
    for (let t = 0; t < (10 * 60_000) / TICK_MS; t++) {
      for (const n of [0, 1]) {
        markers.push(`outage-${t}-${n}`);
        emitStatus(h, markers.at(-1)!);
      }
      // Half-way, the failure changes from 503 to a dead connection.
      if (t === 100) backend.fail('events', { kind: 'drop' });
      await shipper.flush();
      h.clock.advance(TICK_MS);
    }
    expect(shipper.stats()).toMatchObject({ queued: 400, delivered: 0, droppedOverflow: 0 });
    // Backoff: a handful of attempts over 10 minutes, not one every 3 s (200). The jitter makes
    // the count random (src/events/backoff.ts): about 10 on average, never above 18 in 200,000
    // simulated outages of this shape; 25 leaves room and still tells backoff from none.
    expect(backend.calls('events') - before).toBeLessThanOrEqual(25);

    backend.clearFailures();
    await drain(h);
    expect(delivered('outage-')).toEqual(markers);
    expect(shipper.stats()).toMatchObject({ delivered: 400, consecutiveFailures: 0 });
    expect(h.logs.find(/event delivery recovered/, ['log'])).toHaveLength(1);
  });

  it('delivers after a restart what a graceful shutdown could not send', async () => {
    const first = await connected();
    backend.fail('events', { kind: 'status', status: 503 });
    for (let i = 0; i < 25; i++) emitStatus(first, `restart-${i}`);
    await first.get(EventShipperService).flush();
    await first.close();
    harnesses.splice(harnesses.indexOf(first), 1);
    expect(delivered('restart-')).toEqual([]);

    backend.clearFailures();
    const second = await startManaged(backend, { dataDir: first.dataDir });
    harnesses.push(second);
    expect(second.get(EventShipperService).stats().queued).toBe(25);
    await second.get(BackendConnectionService).connect();
    await drain(second);
    expect(delivered('restart-')).toEqual(Array.from({ length: 25 }, (_, i) => `restart-${i}`));
  });

  it('delivers after a restart every event a SIGKILLed satellite had queued', async () => {
    const first = await connected();
    await first.close();
    harnesses.splice(harnesses.indexOf(first), 1);

    const child = spawn(
      process.execPath,
      [
        // Node runs the store's TypeScript source (type stripping); this hook maps its './x.js'
        // imports to the './x.ts' files.
        '--import',
        fileURLToPath(new URL('../../bench/search/ts-resolve.ts', import.meta.url)),
        fileURLToPath(new URL('./support/event-writer.child.mjs', import.meta.url)),
        join(first.dataDir, EVENT_QUEUE_FILE),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // The last number the writer printed before it died; read to the end of its output (the
    // writer keeps appending between our kill and its death).
    let appended = -1;
    let pending = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) appended = Math.max(appended, Number(line));
        if (appended >= 40 && !child.killed) child.kill('SIGKILL');
      });
      child.on('close', (_code, signal) =>
        signal === 'SIGKILL'
          ? resolve()
          : reject(new Error(`writer exited without the kill (${signal})`)),
      );
    });

    const second = await startManaged(backend, { dataDir: first.dataDir });
    harnesses.push(second);
    await second.get(BackendConnectionService).connect();
    await drain(second);
    const got = delivered('killed-');
    // Every event the writer had appended before it died (and maybe the one in flight).
    expect(got.slice(0, appended + 1)).toEqual(
      Array.from({ length: appended + 1 }, (_, i) => `killed-${i}`),
    );
    expect(got.length - (appended + 1)).toBeLessThanOrEqual(1);
  });

  it('counts overflow: a full queue drops the oldest events', async () => {
    const h = await connected({ env: { DEPLOYSTACK_EVENT_QUEUE_MAX: '20' } });
    const shipper = h.get(EventShipperService);
    backend.fail('events', { kind: 'status', status: 503 });
    for (let i = 0; i < 50; i++) emitStatus(h, `overflow-${i}`);
    expect(shipper.stats()).toMatchObject({ queued: 20, droppedOverflow: 30 });
    expect(
      h.logs.find(/event queue full \(20\): dropping the oldest events/, ['warn']),
    ).toHaveLength(1);

    backend.clearFailures();
    await drain(h);
    expect(delivered('overflow-')).toEqual(
      Array.from({ length: 20 }, (_, i) => `overflow-${i + 30}`),
    );
  });

  it('a refused batch loses only its malformed event (found by bisection)', async () => {
    const h = await connected();
    const shipper = h.get(EventShipperService);
    const bus = h.get(EventBusService);
    for (let i = 0; i < 30; i++) {
      if (i === 17) {
        // A drifted field name, as a bug elsewhere might produce it.
        bus.emit('mcp.server.status_changed', {
          instalation_id: 'inst-1',
          team_id: 'team-a',
          status: 'online',
          status_message: 'bisect-17',
          timestamp: new Date(h.clock.now()).toISOString(),
        } as never);
      } else {
        emitStatus(h, `bisect-${i}`);
      }
    }
    const before = backend.calls('events');
    await shipper.flush();
    expect(delivered('bisect-')).toEqual(
      Array.from({ length: 30 }, (_, i) => `bisect-${i}`).filter((m) => m !== 'bisect-17'),
    );
    expect(shipper.stats()).toMatchObject({ queued: 0, delivered: 29, droppedRefused: 1 });
    expect(backend.rejections.at(-1)?.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/data\.instalation_id: unknown field/),
        expect.stringMatching(/data\.installation_id: missing/),
      ]),
    );
    // About 2·log2(30) requests, not 30.
    expect(backend.calls('events') - before).toBeLessThanOrEqual(11);
    expect(
      h.logs.find(/dropped event mcp.server.status_changed refused as malformed/, ['warn']),
    ).toHaveLength(1);
  });

  it('waits as long as a 429 Retry-After says, then delivers', async () => {
    const h = await connected();
    const shipper = h.get(EventShipperService);
    backend.fail('events', { kind: 'status', status: 429, retryAfterSeconds: 30 }, 1);
    emitStatus(h, 'throttled-0');
    await shipper.flush();
    const calls = backend.calls('events');
    h.clock.advance(29_000);
    await shipper.flush();
    expect(backend.calls('events')).toBe(calls);
    h.clock.advance(2_000);
    await shipper.flush();
    expect(delivered('throttled-')).toEqual(['throttled-0']);
  });

  it('does not resend events the backend took but could not store', async () => {
    const h = await connected();
    const shipper = h.get(EventShipperService);
    h.get(EventBusService).emit('mcp.tools.collision', {
      tool_path: 'a-b',
      kept_server: 'a',
      dropped_server: 'a2',
      team_id: 'team-a',
    });
    emitStatus(h, 'stored-0');
    await shipper.flush();
    const calls = backend.calls('events');
    await shipper.flush();
    expect(backend.calls('events')).toBe(calls);
    expect(shipper.stats()).toMatchObject({ queued: 0, delivered: 1, failedAtReceiver: 1 });
    expect(h.logs.find(/the receiver refused event mcp.tools.collision/, ['warn'])).toHaveLength(1);
  });

  it('flushes on shutdown', async () => {
    const h = await connected();
    for (let i = 0; i < 3; i++) emitStatus(h, `shutdown-${i}`);
    await h.close();
    harnesses.splice(harnesses.indexOf(h), 1);
    expect(delivered('shutdown-')).toEqual(['shutdown-0', 'shutdown-1', 'shutdown-2']);
  });
});
