// Invariant: a satellite registers once, keeps its credentials (0600) in its data directory and
// reuses them on restart without a registration token; a rejected key or a deleted satellite leads
// to a new registration; every refusal tells the operator what to do; no key or token is logged.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { BackendConnectionService } from '../../src/backend/backend-connection.service.js';
import { CREDENTIALS_FILE } from '../../src/backend/credentials.store.js';
import { FakeBackend, type TokenState } from '../fake-backend/fake-backend.js';
import { type ManagedHarness, SATELLITE_NAME, startManaged } from './support/managed-harness.js';

const token = (n: number) => `deploystack_satellite_global_${'t'.repeat(20)}${n}`;

describe('registration and persisted credentials', () => {
  let backend: FakeBackend;
  const harnesses: ManagedHarness[] = [];
  const start = async (
    ...args: Parameters<typeof startManaged> extends [unknown, ...infer R] ? R : never
  ) => {
    const h = await startManaged(backend, ...args);
    harnesses.push(h);
    return h;
  };

  beforeAll(async () => {
    backend = await FakeBackend.start();
  });
  afterEach(async () => {
    // Secrets never reach a log line, whatever happened in the test.
    const secrets = [
      ...backend.registrations.map((r) => r.token),
      ...backend.satellites().map((s) => s.apiKey),
    ];
    for (const h of harnesses.splice(0)) {
      await h.close();
      const all = h.logs.lines.join('\n');
      for (const secret of secrets) expect(all).not.toContain(secret);
    }
  });
  afterAll(async () => {
    await backend.stop();
  });

  it('registers, persists the credentials 0600, and a restart reuses them without a token', async () => {
    backend.addRegistrationToken(token(1));
    const first = await start({ registrationToken: token(1) });
    expect(await first.get(BackendConnectionService).connect()).toBe(true);

    expect(backend.registrations).toEqual([{ name: SATELLITE_NAME, token: token(1) }]);
    const [sat] = backend.satellites();
    const file = join(first.dataDir, CREDENTIALS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(saved).sort()).toEqual([
      'api_key',
      'registered_at',
      'satellite_id',
      'satellite_name',
    ]);
    expect(saved).toMatchObject({
      api_key: sat.apiKey,
      satellite_id: sat.id,
      satellite_name: SATELLITE_NAME,
    });
    // The first heartbeat is part of connecting and carries the satellite's URL.
    expect(backend.heartbeats).toHaveLength(1);
    expect(backend.heartbeats[0].body.satellite_url).toBe('http://localhost:3999');
    await first.close();

    const restarted = await start({ dataDir: first.dataDir });
    expect(await restarted.get(BackendConnectionService).connect()).toBe(true);
    expect(backend.registrations).toHaveLength(1);
    expect(backend.heartbeats).toHaveLength(2);
    expect(backend.heartbeats[1].satelliteId).toBe(sat.id);
    expect(restarted.get(BackendConnectionService).status()).toMatchObject({
      state: 'connected',
      satelliteId: sat.id,
    });
  });

  it('re-registers when the backend rejects the key (401) and persists the new key', async () => {
    backend.addRegistrationToken(token(2));
    const first = await start({ registrationToken: token(2) });
    await first.get(BackendConnectionService).connect();
    await first.close();

    // Restarted with a fresh token configured: the persisted key is still good, so no registration.
    backend.addRegistrationToken(token(3));
    const h = await start({ dataDir: first.dataDir, registrationToken: token(3) });
    const connection = h.get(BackendConnectionService);
    expect(await connection.connect()).toBe(true);
    const registrations = backend.registrations.length;

    const sat = backend.satellites().find((s) => s.name === SATELLITE_NAME)!;
    backend.revokeApiKey(sat.id);
    await connection.heartbeat();
    expect(backend.registrations).toHaveLength(registrations + 1);
    expect(connection.isConnected()).toBe(true);
    const saved = JSON.parse(readFileSync(join(h.dataDir, CREDENTIALS_FILE), 'utf8')) as Record<
      string,
      string
    >;
    expect(saved.api_key).toBe(sat.apiKey);
    expect(saved.satellite_id).toBe(sat.id); // same name → same id, new key
    expect(h.logs.find(/rejected the satellite's API key/, ['warn'])).toHaveLength(1);

    // The configured token is single-use: a second rejection needs a new one, and says so.
    backend.revokeApiKey(sat.id);
    await connection.heartbeat();
    expect(connection.status().state).toBe('registration_refused');
    expect(connection.status().lastError).toMatch(/already used.*create a new registration token/);
  });

  it('registers again when the satellite was deleted at the backend (404)', async () => {
    backend.addRegistrationToken(token(4));
    const first = await start({ registrationToken: token(4) });
    await first.get(BackendConnectionService).connect();
    await first.close();
    backend.addRegistrationToken(token(5));
    const h = await start({ dataDir: first.dataDir, registrationToken: token(5) });
    const connection = h.get(BackendConnectionService);
    expect(await connection.connect()).toBe(true);
    const before = backend.satellites().find((s) => s.name === SATELLITE_NAME && !s.deleted)!;

    backend.deleteSatellite(before.id);
    await connection.heartbeat();
    const after = backend.satellites().find((s) => s.name === SATELLITE_NAME && !s.deleted)!;
    expect(after.id).not.toBe(before.id);
    expect(connection.status()).toMatchObject({ state: 'connected', satelliteId: after.id });
    expect(h.logs.find(/does not know satellite/, ['warn'])).toHaveLength(1);
    // The new registration is a new record at the backend: it gets the satellite URL again.
    expect(backend.heartbeats.at(-1)).toMatchObject({
      satelliteId: after.id,
      body: { satellite_url: 'http://localhost:3999' },
    });
  });

  const refusals: Array<[string, TokenState | 'unknown' | 'missing' | 'backend_failure', RegExp]> =
    [
      [
        'registration_token_required',
        'missing',
        /set DEPLOYSTACK_REGISTRATION_TOKEN to a token created in the DeployStack backend/,
      ],
      [
        'invalid_registration_token',
        'unknown',
        /does not recognise DEPLOYSTACK_REGISTRATION_TOKEN.*copied whole/,
      ],
      ['token_expired', 'expired', /has expired: create a new registration token/],
      ['token_already_used', 'used', /already used \(tokens are single-use\)/],
      [
        'token_invalid_scope',
        'invalid_scope',
        /wrong scope.*global token registers a global satellite/,
      ],
      [
        'registration_failed',
        'backend_failure',
        /failed to register the satellite.*retries on its own.*backend: database unavailable/,
      ],
    ];

  it.each(refusals)('%s gives the operator a clear message', async (_code, setup, message) => {
    const t = `deploystack_satellite_team_refusal_${setup}`;
    if (setup === 'backend_failure') {
      backend.addRegistrationToken(t);
      backend.failNextRegistration();
    } else if (setup !== 'unknown' && setup !== 'missing') {
      backend.addRegistrationToken(t, setup);
    }
    const h = await start(setup === 'missing' ? {} : { registrationToken: t });
    const connection = h.get(BackendConnectionService);
    expect(await connection.connect()).toBe(false);
    expect(connection.status().state).toBe('registration_refused');
    expect(connection.status().lastError).toMatch(message);
    expect(h.logs.find(message, ['error'])).toHaveLength(1);
    // A refusal repeats quietly: the operator sees it once, not every 30 s.
    await connection.connect();
    expect(h.logs.find(message, ['error'])).toHaveLength(1);
  });
});
