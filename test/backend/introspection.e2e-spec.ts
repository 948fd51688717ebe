// Invariant: client tokens are checked by introspection at the backend, cached by hash until exp
// (at most 5 minutes), negatives briefly, one backend call per token however many requests race;
// an unreachable backend is a 503-type error, never a verdict on the token; the backend can drop
// one user's cached tokens with a command.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AuthUnavailableError,
  InsufficientScopeError,
  InvalidTokenError,
  MissingTokenError,
} from '../../src/auth/auth.errors.js';
import { BearerAuthService } from '../../src/auth/bearer-auth.service.js';
import { MCP_SCOPES } from '../../src/auth/principal.js';
import { ProtectedResourceMetadataService } from '../../src/auth/protected-resource-metadata.service.js';
import { TokenIntrospectionService } from '../../src/auth/token-introspection.service.js';
import { BackendConnectionService } from '../../src/backend/backend-connection.service.js';
import { CommandPollerService } from '../../src/backend/command-poller.service.js';
import { FakeBackend } from '../fake-backend/fake-backend.js';
import { waitFor } from './support/wait-for.js';
import { type ManagedHarness, startManaged } from './support/managed-harness.js';

let serial = 0;

describe('bearer validation by introspection', () => {
  let backend: FakeBackend;
  let h: ManagedHarness;
  let auth: BearerAuthService;

  const tokenFor = (name: string) => `mcp_at_${name}_${serial}_${'x'.repeat(24)}`;
  const calls = (token: string) => backend.introspections.filter((t) => t === token).length;
  function activeToken(name: string, userId: string, extra: Record<string, unknown> = {}): string {
    const token = tokenFor(name);
    backend.setIntrospection(token, {
      active: true,
      scope: 'mcp:read mcp:tools:execute',
      client_id: 'claude-code',
      username: `${userId}@example.com`,
      sub: userId,
      aud: 'https://satellite.example.com/mcp',
      iss: backend.url,
      exp: Math.floor(h.clock.now() / 1000) + 3600,
      iat: Math.floor(h.clock.now() / 1000),
      team_id: 'team-a',
      team_name: 'Alpha',
      team_role: 'team_admin',
      team_permissions: ['mcp.servers.read'],
      ...extra,
    });
    return token;
  }

  beforeAll(async () => {
    backend = await FakeBackend.start();
  });
  beforeEach(async () => {
    serial++;
    const token = `deploystack_satellite_global_auth_${serial}`;
    backend.addRegistrationToken(token);
    h = await startManaged(backend, { registrationToken: token });
    expect(await h.get(BackendConnectionService).connect()).toBe(true);
    auth = h.get(BearerAuthService);
  });
  afterEach(async () => {
    backend.clearFailures();
    await h.close();
    const all = h.logs.lines.join('\n');
    for (const token of backend.introspections) expect(all).not.toContain(token);
  });
  afterAll(async () => {
    await backend.stop();
  });

  it('resolves the principal and serves repeats from the cache', async () => {
    const token = activeToken('hit', 'user-1');
    const principal = await auth.authenticate(`Bearer ${token}`);
    expect(principal).toEqual({
      userId: 'user-1',
      teamId: 'team-a',
      teamName: 'Alpha',
      teamRole: 'team_admin',
      teamPermissions: ['mcp.servers.read'],
      scopes: ['mcp:read', 'mcp:tools:execute'],
      clientId: 'claude-code',
      username: 'user-1@example.com',
      expiresAt: expect.any(Number),
    });
    await auth.authenticate(`bearer ${token}`);
    h.clock.advance(4 * 60_000);
    await auth.authenticate(`Bearer ${token}`);
    expect(calls(token)).toBe(1);
    expect(h.get(TokenIntrospectionService).stats()).toMatchObject({
      backendCalls: 1,
      cacheHits: 2,
    });
  });

  it('caches at most 5 minutes, and never past the token exp', async () => {
    const long = activeToken('long', 'user-1');
    await auth.authenticate(`Bearer ${long}`);
    h.clock.advance(5 * 60_000 + 1);
    await auth.authenticate(`Bearer ${long}`);
    expect(calls(long)).toBe(2);

    const short = activeToken('short', 'user-1', { exp: Math.floor(h.clock.now() / 1000) + 60 });
    await auth.authenticate(`Bearer ${short}`);
    h.clock.advance(61_000);
    // The backend still says active with the old exp: the satellite judges it expired.
    await expect(auth.authenticate(`Bearer ${short}`)).rejects.toThrow(
      new InvalidTokenError('the token has expired'),
    );
    expect(calls(short)).toBe(2);
  });

  it('makes one backend call for concurrent validations of one token', async () => {
    const token = activeToken('race', 'user-1');
    backend.fail('introspect', { kind: 'delay', ms: 150 }, 1);
    const principals = await Promise.all(
      Array.from({ length: 20 }, () => auth.authenticate(`Bearer ${token}`)),
    );
    expect(new Set(principals.map((p) => p.userId))).toEqual(new Set(['user-1']));
    expect(calls(token)).toBe(1);
  });

  it('caches a negative answer briefly', async () => {
    const token = tokenFor('unknown');
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toBeInstanceOf(InvalidTokenError);
    h.clock.advance(5_000);
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(calls(token)).toBe(1);
    h.clock.advance(6_000);
    await expect(auth.authenticate(`Bearer ${token}`)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(calls(token)).toBe(2);
  });

  it('answers "unavailable" (503), not "invalid", when the backend cannot be reached, and caches nothing', async () => {
    const token = activeToken('down', 'user-1');
    const metadata = h.get(ProtectedResourceMetadataService);
    for (const mode of [{ kind: 'drop' }, { kind: 'status', status: 502 }] as const) {
      backend.fail('introspect', mode, 1);
      const err = await auth.authenticate(`Bearer ${token}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthUnavailableError);
      expect(metadata.challengeFor(err as AuthUnavailableError)).toEqual({
        status: 503,
        headers: { 'retry-after': '5' },
        body: {
          error: 'temporarily_unavailable',
          error_description: 'cannot validate the token right now; try again shortly',
        },
      });
    }
    await expect(auth.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'user-1' });
  });

  it('maps missing, rejected and under-scoped tokens to 401 / 401 invalid_token / 403', async () => {
    const metadata = h.get(ProtectedResourceMetadataService);
    const url = 'http://localhost:3999/.well-known/oauth-protected-resource/mcp';
    expect(metadata.metadataUrl()).toBe(url);

    for (const header of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer ']) {
      const err = await auth.authenticate(header).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MissingTokenError);
      expect(metadata.challengeFor(err as MissingTokenError)).toMatchObject({
        status: 401,
        headers: { 'www-authenticate': `Bearer resource_metadata="${url}"` },
      });
    }
    const bad = await auth.authenticate(`Bearer ${tokenFor('rejected')}`).catch((e: unknown) => e);
    expect(metadata.challengeFor(bad as InvalidTokenError)).toMatchObject({
      status: 401,
      headers: {
        'www-authenticate': expect.stringMatching(
          new RegExp(
            `^Bearer resource_metadata="${url}", error="invalid_token", error_description="`,
          ),
        ),
      },
      body: { error: 'invalid_token' },
    });

    const readOnly = activeToken('read-only', 'user-9', { scope: 'mcp:read' });
    const principal = await auth.authenticate(`Bearer ${readOnly}`);
    expect(() => auth.authorize(principal, MCP_SCOPES.read)).not.toThrow();
    const scopeErr = (() => {
      try {
        auth.authorize(principal, MCP_SCOPES.execute);
      } catch (e) {
        return e;
      }
    })();
    expect(scopeErr).toBeInstanceOf(InsufficientScopeError);
    expect(metadata.challengeFor(scopeErr as InsufficientScopeError)).toEqual({
      status: 403,
      headers: {
        'www-authenticate': `Bearer resource_metadata="${url}", error="insufficient_scope", error_description="the token lacks the scope mcp:tools:execute", scope="mcp:tools:execute"`,
      },
      body: {
        error: 'insufficient_scope',
        error_description: 'the token lacks the scope mcp:tools:execute',
      },
    });
  });

  it('invalidate_user_token_cache drops exactly that user’s cached tokens', async () => {
    const a1 = activeToken('a1', 'user-2');
    const a2 = activeToken('a2', 'user-2');
    const other = activeToken('other', 'user-3');
    for (const t of [a1, a2, other]) await auth.authenticate(`Bearer ${t}`);

    const id = backend.queueCommand({
      command_type: 'invalidate_user_token_cache',
      priority: 'immediate',
      payload: { user_id: 'user-2' },
    });
    await h.get(CommandPollerService).pollOnce();
    expect(backend.commandResults.find((r) => r.command_id === id)).toEqual({
      command_id: id,
      status: 'completed',
      result: { user_id: 'user-2', invalidated_entries: 2 },
    });

    for (const t of [a1, a2, other]) await auth.authenticate(`Bearer ${t}`);
    expect([calls(a1), calls(a2), calls(other)]).toEqual([2, 2, 1]);
  });

  it('an invalidation during a lookup keeps that lookup out of the cache', async () => {
    const token = activeToken('inflight', 'user-4');
    backend.fail('introspect', { kind: 'delay', ms: 300 }, 1);
    const before = backend.calls('introspect');
    const pending = auth.authenticate(`Bearer ${token}`);
    // The request is at the backend (held by the delay) when the invalidation comes.
    await waitFor(
      'the introspection request',
      () => backend.calls('introspect') > before || undefined,
    );
    h.get(TokenIntrospectionService).invalidateUser('user-4');
    await pending;
    await auth.authenticate(`Bearer ${token}`);
    expect(calls(token)).toBe(2);
  });
});
