// Invariant: the typed client speaks every endpoint of the contract and turns transport trouble
// (timeouts, dead connections, 5xx) into BackendUnavailableError without leaking the key.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BackendApiClient } from '../../src/backend/backend-api.client.js';
import { BackendConnectionService } from '../../src/backend/backend-connection.service.js';
import { BackendHttpClient } from '../../src/backend/backend-http.client.js';
import { BackendUnavailableError } from '../../src/backend/backend.errors.js';
import { SatelliteIdentity } from '../../src/backend/satellite-identity.service.js';
import { FakeBackend } from '../fake-backend/fake-backend.js';
import { type ManagedHarness, startManaged } from './support/managed-harness.js';

describe('backend API client', () => {
  let backend: FakeBackend;
  let h: ManagedHarness;
  let api: BackendApiClient;

  beforeAll(async () => {
    backend = await FakeBackend.start();
    backend.addRegistrationToken('deploystack_satellite_global_api');
    h = await startManaged(backend, { registrationToken: 'deploystack_satellite_global_api' });
    expect(await h.get(BackendConnectionService).connect()).toBe(true);
    api = h.get(BackendApiClient);
  });
  afterAll(async () => {
    await h.close();
    await backend.stop();
  });

  it('checks health: 2xx is reachable, anything else is not', async () => {
    expect(await api.health()).toBe(true);
    backend.fail('health', { kind: 'status', status: 500 }, 1);
    expect(await api.health()).toBe(false);
    backend.fail('health', { kind: 'drop' }, 1);
    expect(await api.health()).toBe(false);
  });

  it("retrieves a user's upstream OAuth token, and none (404) as undefined", async () => {
    backend.setUpstreamToken(
      { installation_id: 'inst-1', user_id: 'user-1' },
      {
        access_token: 'gho_upstream',
        refresh_token: 'r',
        token_type: 'Bearer',
        expires_at: '2030-01-01T00:00:00Z',
        scope: 'repo',
      },
    );
    await expect(
      api.retrieveUpstreamToken({
        installation_id: 'inst-1',
        user_id: 'user-1',
        team_id: 'team-a',
      }),
    ).resolves.toEqual({
      access_token: 'gho_upstream',
      refresh_token: 'r',
      token_type: 'Bearer',
      expires_at: '2030-01-01T00:00:00Z',
      scope: 'repo',
    });
    await expect(
      api.retrieveUpstreamToken({
        installation_id: 'inst-1',
        user_id: 'user-2',
        team_id: 'team-a',
      }),
    ).resolves.toBeUndefined();
    expect(backend.rejections).toEqual([]);
  });

  it('gives up on a slow backend at the timeout, naming it, and never the key', async () => {
    backend.fail('config', { kind: 'delay', ms: 400 }, 1);
    const key = h.get(SatelliteIdentity).require().api_key;
    const satId = h.get(SatelliteIdentity).require().satellite_id;
    const err = await h
      .get(BackendHttpClient)
      .send({ method: 'GET', path: `/api/satellites/${satId}/config`, bearer: key, timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toBe(
      `GET /api/satellites/${satId}/config: no answer within 100 ms`,
    );
  });

  it('reports 5xx as unavailable with the status, and a dead connection by its cause', async () => {
    backend.fail('config', { kind: 'status', status: 503 }, 1);
    await expect(api.fetchConfig()).rejects.toMatchObject({
      name: 'BackendUnavailableError',
      status: 503,
    });
    backend.fail('config', { kind: 'drop' }, 1);
    await expect(api.fetchConfig()).rejects.toThrow(/cannot reach the backend/);
  });
});
