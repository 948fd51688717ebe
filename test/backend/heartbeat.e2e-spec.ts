// Invariant: each heartbeat carries real machine figures and every instance's state, says
// `degraded` when some servers fail and `error` when all do, and sends the satellite URL only
// until the backend has taken one heartbeat.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackendConnectionService } from '../../src/backend/backend-connection.service.js';
import { FakeBackend } from '../fake-backend/fake-backend.js';
import { type ManagedHarness, startManaged } from './support/managed-harness.js';

describe('heartbeat', () => {
  let backend: FakeBackend;
  let h: ManagedHarness;
  let connection: BackendConnectionService;
  const last = () => backend.heartbeats.at(-1)!.body;

  beforeAll(async () => {
    backend = await FakeBackend.start();
    backend.addRegistrationToken('deploystack_satellite_global_heartbeat');
    backend.setConfig({
      mcp_servers: Object.fromEntries(
        ['a', 'b'].map((n) => [
          `opaque-${n}`,
          {
            installation_id: `inst-${n}`,
            team_id: 'team-a',
            server_slug: `srv-${n}`,
            transport_type: 'http',
            url: `https://${n}.example.com/mcp`,
          },
        ]),
      ),
    });
    h = await startManaged(backend, {
      registrationToken: 'deploystack_satellite_global_heartbeat',
    });
    connection = h.get(BackendConnectionService);
    expect(await connection.connect()).toBe(true);
  });
  afterAll(async () => {
    await h.close();
    await backend.stop();
  });

  it('reports real figures, the version, and the URL only on the first heartbeat', async () => {
    expect(backend.heartbeats[0].body).toMatchObject({
      status: 'active',
      version: h.config.version,
      error_count: 0,
      satellite_url: 'http://localhost:3999',
      processes: [],
    });
    await connection.heartbeat();
    const body = last();
    expect(body).not.toHaveProperty('satellite_url');
    const metrics = body.system_metrics as Record<string, number>;
    expect(metrics.cpu_usage_percent).toBeGreaterThanOrEqual(0);
    expect(metrics.memory_usage_mb).toBeGreaterThan(0);
    expect(metrics.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(body.processes).toEqual([
      { id: 'inst-a', server_name: 'srv-a', status: 'running', health_status: 'healthy' },
      { id: 'inst-b', server_name: 'srv-b', status: 'running', health_status: 'healthy' },
    ]);
  });

  it('says degraded when some servers fail and error when all do', async () => {
    h.servers.failing.add('inst-a');
    await connection.heartbeat();
    expect(last()).toMatchObject({ status: 'degraded', error_count: 1 });
    h.servers.failing.add('inst-b');
    await connection.heartbeat();
    expect(last()).toMatchObject({ status: 'error', error_count: 2 });
    h.servers.failing.clear();
    await connection.heartbeat();
    expect(last()).toMatchObject({ status: 'active', error_count: 0 });
    expect(backend.rejections).toEqual([]);
  });

  it('keeps the credentials through an outage and reports the recovery', async () => {
    backend.fail('heartbeat', { kind: 'status', status: 503 });
    await connection.heartbeat();
    expect(connection.status()).toMatchObject({
      state: 'unreachable',
      lastError: expect.stringMatching(/heartbeat failed.*503/),
    });
    backend.clearFailures();
    const registrations = backend.registrations.length;
    await connection.heartbeat();
    expect(connection.status().state).toBe('connected');
    expect(backend.registrations).toHaveLength(registrations);
  });
});
