import { describe, expect, it } from '@jest/globals';
import type { FastifyRequest } from 'fastify';
import { SatelliteConfig } from '../config/satellite-config.js';
import { InsufficientScopeError, MissingTokenError } from './auth.errors.js';
import { ANONYMOUS_ACCESS, ClientAccessService } from './client-access.service.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { MCP_SCOPES, type Principal } from './principal.js';

/** Accepts `Bearer reader` (no scope) and `Bearer caller` (execute); anything else is missing. */
class FakeAuthenticator extends ClientAuthenticator {
  authenticate(authorization: string | undefined): Promise<Principal> {
    const who = authorization?.replace(/^Bearer /, '');
    if (who !== 'reader' && who !== 'caller') return Promise.reject(new MissingTokenError());
    return Promise.resolve({
      userId: who,
      teamId: 'team-1',
      teamPermissions: [],
      scopes: who === 'caller' ? [MCP_SCOPES.execute] : [MCP_SCOPES.read],
    });
  }
}

const request = (token?: string): FastifyRequest =>
  ({
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: undefined,
  }) as FastifyRequest;

const managed = SatelliteConfig.of({ backend: { url: 'http://127.0.0.1:1' } } as SatelliteConfig);
const standalone = SatelliteConfig.of({} as SatelliteConfig);

describe('ClientAccessService: the REST tool routes', () => {
  for (const [mode, config] of [
    ['managed', managed],
    ['standalone', standalone],
  ] as const) {
    it(`authenticates /api/tools in ${mode} mode, and calls need mcp:tools:execute`, async () => {
      const access = new ClientAccessService(config, new FakeAuthenticator());
      await expect(access.resolve(request(), 'tools')).rejects.toBeInstanceOf(MissingTokenError);
      const reader = await access.resolve(request('reader'), 'tools');
      expect(reader.caller.userId).toBe('reader');
      expect(reader.caller.teams).toContain('team-1');
      await expect(access.resolve(request('reader'), 'tools:call')).rejects.toBeInstanceOf(
        InsufficientScopeError,
      );
      expect((await access.resolve(request('caller'), 'tools:call')).caller.userId).toBe('caller');
    });
  }

  it('keeps the status routes of managed mode open, as before', async () => {
    const access = new ClientAccessService(managed, new FakeAuthenticator());
    expect(await access.resolve(request(), 'rest')).toBe(ANONYMOUS_ACCESS);
  });

  it('lets everyone in without an authenticator (DEPLOYSTACK_AUTH=none)', async () => {
    const access = new ClientAccessService(standalone);
    expect(await access.resolve(request(), 'tools:call')).toBe(ANONYMOUS_ACCESS);
  });
});
