// Invariant: the fake backend is strict where the real one is silent: an unknown, misspelled or
// missing field is a 400 naming it, so a drifted wire field fails the tests that use the fake.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeBackend } from './fake-backend.js';

describe('fake backend', () => {
  let backend: FakeBackend;
  let satId: string;
  let key: string;

  const call = async (method: string, path: string, body?: unknown, bearer = key) => {
    const res = await fetch(backend.url + path, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const heartbeat = (metrics: Record<string, unknown>) => ({
    status: 'active',
    system_metrics: metrics,
    processes: [],
    error_count: 0,
    version: '1.0.0',
  });

  beforeAll(async () => {
    backend = await FakeBackend.start();
    backend.addRegistrationToken('deploystack_satellite_global_fake_test');
    const reg = await call(
      'POST',
      '/api/satellites/register',
      {
        name: 'fake-backend-test',
        capabilities: ['stdio'],
        system_info: { os: 'linux', arch: 'x64', node_version: 'v24', memory_mb: 1024 },
      },
      'deploystack_satellite_global_fake_test',
    );
    expect(reg.status).toBe(200);
    const sat = reg.body.satellite as { id: string; api_key: string };
    satId = sat.id;
    key = sat.api_key;
  });
  afterAll(async () => {
    await backend.stop();
  });

  it('refuses a misspelled field with 400 naming it', async () => {
    const res = await call(
      'POST',
      `/api/satellites/${satId}/heartbeat`,
      heartbeat({ cpu_usage_percnt: 3, memory_usage_mb: 100 }),
    );
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual([
      'body.system_metrics.cpu_usage_percent: missing',
      'body.system_metrics.cpu_usage_percnt: unknown field',
    ]);
    expect(backend.rejections.at(-1)?.route).toBe('heartbeat');
    expect(backend.heartbeats).toHaveLength(0);
  });

  it('refuses `error` in a failed command result: the contract field is error_message', async () => {
    await call(
      'POST',
      `/api/satellites/${satId}/heartbeat`,
      heartbeat({ cpu_usage_percent: 3, memory_usage_mb: 100 }),
    );
    const id = backend.queueCommand({ command_type: 'kill', payload: { installation_id: 'x' } });
    const res = await call('POST', `/api/satellites/${satId}/command-result`, {
      command_id: id,
      status: 'failed',
      error: 'boom',
    });
    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual(['body.error_message: missing', 'body.error: unknown field']);
  });

  it('refuses unknown query parameters, oversized event batches and bad registration names', async () => {
    expect((await call('GET', `/api/satellites/${satId}/commands?limit=10&since=now`)).status).toBe(
      400,
    );
    const events = Array.from({ length: 101 }, () => ({
      type: 'mcp.client.activity',
      timestamp: new Date().toISOString(),
      data: {},
    }));
    expect(
      (await call('POST', `/api/satellites/${satId}/events`, { events })).body.problems,
    ).toEqual(['body.events: takes at most 100 items']);
    backend.addRegistrationToken('deploystack_satellite_global_fake_test_2');
    const reg = await call(
      'POST',
      '/api/satellites/register',
      {
        name: 'Short',
        capabilities: ['stdio'],
        system_info: { os: 'linux', arch: 'x64', node_version: 'v24', memory_mb: 1 },
      },
      'deploystack_satellite_global_fake_test_2',
    );
    expect(reg.body.problems).toEqual(['body.name: must match /^[a-z0-9_-]{10,32}$/']);
  });

  it('answers 401 to a wrong key', async () => {
    expect((await call('GET', `/api/satellites/${satId}/config`, undefined, 'nope')).status).toBe(
      401,
    );
    expect((await call('GET', `/api/satellites/${satId}/config`)).status).toBe(200);
  });

  it('fails, slows down and throttles on demand', async () => {
    backend.fail('config', { kind: 'status', status: 503 }, 1);
    expect((await call('GET', `/api/satellites/${satId}/config`)).status).toBe(503);
    expect((await call('GET', `/api/satellites/${satId}/config`)).status).toBe(200);

    backend.fail('config', { kind: 'status', status: 429, retryAfterSeconds: 7 }, 1);
    const throttled = await fetch(`${backend.url}/api/satellites/${satId}/config`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '7']);

    backend.fail('config', { kind: 'drop' }, 1);
    await expect(call('GET', `/api/satellites/${satId}/config`)).rejects.toThrow(/fetch failed/);

    backend.fail('config', { kind: 'delay', ms: 120 }, 1);
    const started = Date.now();
    expect((await call('GET', `/api/satellites/${satId}/config`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('deleted satellites get 404', async () => {
    backend.deleteSatellite(satId);
    expect((await call('GET', `/api/satellites/${satId}/config`)).status).toBe(404);
  });
});
