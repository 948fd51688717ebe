// Invariant: with DEPLOYSTACK_AUTH=jwt the satellite accepts exactly the access tokens its
// operator's identity provider signs for it (issuer, audience, expiry, published key), finds the
// keys through the issuer's discovery document, follows key rotation, takes teams from the
// configured claim and scopes from `scope`, and names the issuer in its RFC 9728 metadata, so an
// MCP client's OAuth discovery leads to the provider.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { discoverOAuthServerInfo } from '@modelcontextprotocol/sdk/client/auth.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { initializeRequest, postMcp } from '../support/mcp-http.js';
import { type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import { EVERYTHING, stdioEntry } from '../support/upstreams.js';
import { JwtIssuer } from './jwt-issuer.js';
import { call, connectWithToken, EXECUTE, textOf, visibleServers } from './support.js';

const AUDIENCE = 'https://satellite.example.com/mcp';

describe('DEPLOYSTACK_AUTH=jwt (keys generated here, JWKS on loopback, real satellite)', () => {
  let idp: JwtIssuer;
  let sat: Satellite;
  const clients: Client[] = [];
  const token = (sub: string, groups: string[], scope = EXECUTE, opts = {}) =>
    idp.sign({ sub, groups, scope }, AUDIENCE, opts);
  const initialize = async (bearer: string) =>
    postMcp(sat.mcpUrl, initializeRequest('jwt'), { authorization: `Bearer ${bearer}` });

  beforeAll(async () => {
    idp = await JwtIssuer.start();
    sat = await startSatellite(
      {
        alpha: stdioEntry(EVERYTHING, ['stdio'], { team: 'alpha' }),
        beta: stdioEntry(EVERYTHING, ['stdio'], { team: 'beta' }),
      },
      {
        DEPLOYSTACK_AUTH: 'jwt',
        DEPLOYSTACK_AUTH_JWT_ISSUER: idp.url,
        DEPLOYSTACK_AUTH_JWT_AUDIENCE: AUDIENCE,
        DEPLOYSTACK_AUTH_JWT_TEAMS_CLAIM: 'groups',
      },
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await sat?.stop();
    await idp?.stop();
  });

  it('names the issuer as authorization server, and an MCP client discovers it', async () => {
    const meta = (await (
      await fetch(`${sat.baseUrl}/.well-known/oauth-protected-resource/mcp`)
    ).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      authorization_servers: [idp.url],
      scopes_supported: ['mcp:read', EXECUTE],
    });
    const info = await discoverOAuthServerInfo(sat.mcpUrl);
    expect(info.authorizationServerUrl).toBe(idp.url);
    expect(info.authorizationServerMetadata?.token_endpoint).toBe(`${idp.url}/token`);
  });

  it('accepts a token of the issuer (keys found through its discovery document)', async () => {
    const alice = await connectWithToken(sat.mcpUrl, await token('alice', ['alpha']));
    clients.push(alice);
    expect(await visibleServers(alice)).toEqual(['alpha']);
    const echoed = await call(alice, 'execute_mcp_tool', {
      tool_path: 'alpha-echo',
      arguments: { message: 'jwt' },
    });
    expect(textOf(echoed)).toContain('jwt');
    expect(idp.jwksFetches).toBe(1);
  });

  it('answers 401 to no token, garbage, expired, wrong issuer or audience, and a forged key', async () => {
    const stray = await JwtIssuer.strayKey();
    const cases: Record<string, string | undefined> = {
      none: undefined,
      garbage: 'not-a-jwt',
      expired: await token('alice', ['alpha'], EXECUTE, { expiresIn: -120 }),
      issuer: await token('alice', ['alpha'], EXECUTE, { issuer: 'https://other-idp.example.com' }),
      audience: await token('alice', ['alpha'], EXECUTE, { audience: 'https://elsewhere/mcp' }),
      forged: await token('alice', ['alpha'], EXECUTE, { key: stray }),
    };
    const answers: Record<string, unknown> = {};
    for (const [name, bearer] of Object.entries(cases)) {
      const res = bearer
        ? await initialize(bearer)
        : await postMcp(sat.mcpUrl, initializeRequest('jwt'));
      answers[name] = {
        status: res.status,
        invalid: /error="invalid_token"/.test(res.headers.get('www-authenticate') ?? ''),
      };
    }
    expect(answers).toEqual({
      none: { status: 401, invalid: false },
      garbage: { status: 401, invalid: true },
      expired: { status: 401, invalid: true },
      issuer: { status: 401, invalid: true },
      audience: { status: 401, invalid: true },
      forged: { status: 401, invalid: true },
    });
  });

  it('answers 403 to a tool call without mcp:tools:execute', async () => {
    const bearer = await token('reader', ['beta'], 'mcp:read');
    const reader = await connectWithToken(sat.mcpUrl, bearer);
    clients.push(reader);
    expect(await visibleServers(reader)).toEqual(['beta']);
    const res = await postMcp(
      sat.mcpUrl,
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: {
          name: 'execute_mcp_tool',
          arguments: { tool_path: 'beta-echo', arguments: { message: 'x' } },
        },
      },
      {
        authorization: `Bearer ${bearer}`,
        'mcp-session-id': (reader.transport as StreamableHTTPClientTransport).sessionId!,
        'mcp-protocol-version': '2025-11-25',
      },
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  it('keeps a session to the subject that opened it (404 to another subject)', async () => {
    const bob = await connectWithToken(sat.mcpUrl, await token('bob', ['beta']));
    clients.push(bob);
    const res = await postMcp(
      sat.mcpUrl,
      { jsonrpc: '2.0', id: 4, method: 'tools/list', params: {} },
      {
        authorization: `Bearer ${await token('mallory', ['beta'])}`,
        'mcp-session-id': (bob.transport as StreamableHTTPClientTransport).sessionId!,
        'mcp-protocol-version': '2025-11-25',
      },
    );
    expect(res.status).toBe(404);
    expect((await bob.listTools()).tools).toHaveLength(2);
  });

  it('follows a key rotation: tokens of the new key are accepted once the set is refetched', async () => {
    await idp.rotate();
    const fresh = await token('carol', ['alpha', 'beta']);
    await waitFor('the new key accepted', async () => {
      const res = await initialize(fresh);
      await res.arrayBuffer();
      return res.status === 200 || undefined;
    });
    expect(idp.jwksFetches).toBeGreaterThanOrEqual(2);
    const carol = await connectWithToken(sat.mcpUrl, fresh);
    clients.push(carol);
    expect(await visibleServers(carol)).toEqual(['alpha', 'beta']);
  }, 30_000);

  it('answers 503 with Retry-After, not 401, while the key set cannot be fetched', async () => {
    await idp.stop();
    const unknownKid = await token('dave', ['alpha'], EXECUTE, { key: await JwtIssuer.strayKey() });
    // A token naming a key not in the cache makes the satellite refetch the set (at most every
    // few seconds): with the provider down, that is "cannot check", not "invalid".
    const res = await waitFor('a refetch attempt', async () => {
      const r = await initialize(unknownKid);
      return r.status === 503 ? r : undefined;
    });
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  }, 30_000);
});
