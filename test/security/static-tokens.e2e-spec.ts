// Invariant: with DEPLOYSTACK_AUTH=tokens every route but the probes and metrics needs a listed
// bearer token; a server's `team` decides who sees and calls it on every endpoint (discover,
// execute, /i/{slug}/mcp, legacy /sse, the debug route), servers without `team` are everyone's;
// a session stays its opener's; the tokens file is watched (a removed token is refused at once).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StaticTokenAuthenticator } from '../../src/auth/static-token.authenticator.js';
import { initializeRequest, postMcp } from '../support/mcp-http.js';
import { type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import { EVERYTHING, MEMORY, stdioEntry } from '../support/upstreams.js';
import {
  call,
  connectSseWithToken,
  connectWithToken,
  EXECUTE,
  type TokenGrant,
  textOf,
  visibleServers,
  writeTokensFile,
} from './support.js';

const ALICE: TokenGrant = {
  token: 'tok-alice-0123456789',
  principal: 'alice',
  teams: ['alpha'],
  scopes: [EXECUTE],
};
const BOB: TokenGrant = {
  token: 'tok-bob-0123456789',
  principal: 'bob',
  teams: ['beta'],
  scopes: [EXECUTE],
};
const READER: TokenGrant = { token: 'tok-reader-0123456789', principal: 'carol', teams: ['alpha'] };
const DAVE: TokenGrant = {
  token: 'tok-dave-0123456789',
  principal: 'dave',
  teams: ['beta'],
  scopes: [EXECUTE],
};

describe('DEPLOYSTACK_AUTH=tokens (real satellite, real SDK clients, real upstreams)', () => {
  let sat: Satellite;
  let tokensPath: string;
  const clients: Client[] = [];
  const keep = <T extends Client>(c: T) => (clients.push(c), c);

  beforeAll(async () => {
    tokensPath = join(mkdtempSync(join(tmpdir(), 'satellite-tokens-')), 'tokens.json');
    writeTokensFile(tokensPath, [ALICE, BOB, READER]);
    sat = await startSatellite(
      {
        alpha: stdioEntry(EVERYTHING, ['stdio'], { team: 'alpha' }),
        beta: stdioEntry(EVERYTHING, ['stdio'], { team: 'beta' }),
        common: stdioEntry(MEMORY, [], {
          env: { MEMORY_FILE_PATH: join(tokensPath, '..', 'memory.jsonl') },
        }),
      },
      {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: tokensPath,
        DEPLOYSTACK_SATELLITE_URL: 'https://satellite.example.com',
      },
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await sat?.stop();
  });

  const challenge = `Bearer resource_metadata="https://satellite.example.com/.well-known/oauth-protected-resource/mcp"`;

  it('answers 401 with the challenge on every route without a token; probes and metrics stay open', async () => {
    const init = initializeRequest('no-token');
    const refusals = [
      await postMcp(sat.mcpUrl, init),
      await postMcp(`${sat.baseUrl}/i/alpha/mcp`, init),
      await fetch(`${sat.baseUrl}/mcp`, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': 'x' },
      }),
      await fetch(`${sat.baseUrl}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': 'x' } }),
      await fetch(`${sat.baseUrl}/sse`, { headers: { accept: 'text/event-stream' } }),
      await postMcp(`${sat.baseUrl}/message?sessionId=x`, init),
      await fetch(`${sat.baseUrl}/`),
      await fetch(`${sat.baseUrl}/api/status/backend`),
      await fetch(`${sat.baseUrl}/api/status/debug`),
      await fetch(`${sat.baseUrl}/`, { headers: { authorization: 'Basic YWxpY2U6eA==' } }),
    ];
    for (const res of refusals) {
      expect({ url: res.url, status: res.status }).toEqual({ url: res.url, status: 401 });
      expect(res.headers.get('www-authenticate')).toBe(challenge);
    }
    for (const path of ['/health/live', '/health/ready', '/metrics'])
      expect((await fetch(`${sat.baseUrl}${path}`)).status).toBe(200);
    const metadata = await fetch(`${sat.baseUrl}/.well-known/oauth-protected-resource/mcp`);
    expect(await metadata.json()).toEqual({
      resource: 'https://satellite.example.com/mcp',
      scopes_supported: ['mcp:read', EXECUTE],
      bearer_methods_supported: ['header'],
    });
  });

  it('answers 401 invalid_token to a token that is not listed', async () => {
    const res = await postMcp(sat.mcpUrl, initializeRequest('bad'), {
      authorization: 'Bearer tok-alice-012345678',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(await res.json()).toMatchObject({ error: 'invalid_token' });
  });

  it("shows and runs only the caller's teams' servers and the team-less ones through /mcp", async () => {
    const alice = keep(await connectWithToken(sat.mcpUrl, ALICE.token));
    const bob = keep(await connectWithToken(sat.mcpUrl, BOB.token));
    expect(await visibleServers(alice)).toEqual(['alpha', 'common']);
    expect(await visibleServers(bob)).toEqual(['beta', 'common']);
    const echoed = await call(alice, 'execute_mcp_tool', {
      tool_path: 'alpha-echo',
      arguments: { message: 'from alice' },
    });
    expect(textOf(echoed)).toContain('from alice');
    const crossed = await call(alice, 'execute_mcp_tool', {
      tool_path: 'beta-echo',
      arguments: { message: 'not yours' },
    });
    expect(crossed.isError).toBe(true);
    expect(textOf(crossed)).toMatch(/Unknown tool path "beta-echo"/);
    // Not even a suggestion names the other team's tools.
    expect(textOf(crossed).replace('"beta-echo"', '')).not.toMatch(/beta-/);
    const shared = await call(bob, 'execute_mcp_tool', {
      tool_path: 'common-read_graph',
      arguments: {},
    });
    expect(shared.isError).toBeFalsy();
  });

  it("opens a direct endpoint only for the caller's teams' servers (and team-less ones)", async () => {
    const alice = keep(await connectWithToken(`${sat.baseUrl}/i/alpha/mcp`, ALICE.token));
    expect(
      textOf((await alice.callTool({ name: 'echo', arguments: { message: 'direct' } })) as never),
    ).toContain('direct');
    const refused = await postMcp(`${sat.baseUrl}/i/beta/mcp`, initializeRequest('alice'), {
      authorization: `Bearer ${ALICE.token}`,
    });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /no MCP server "beta" is available to you/,
    );
    const common = keep(await connectWithToken(`${sat.baseUrl}/i/common/mcp`, BOB.token));
    expect((await common.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('applies the same teams to legacy /sse clients', async () => {
    const bob = keep(await connectSseWithToken(`${sat.baseUrl}/sse`, BOB.token));
    expect(await visibleServers(bob)).toEqual(['beta', 'common']);
    const crossed = await call(bob, 'execute_mcp_tool', {
      tool_path: 'alpha-echo',
      arguments: { message: 'x' },
    });
    expect(crossed.isError).toBe(true);
  });

  it("lists only the caller's teams' servers on the debug route", async () => {
    const res = await fetch(`${sat.baseUrl}/api/status/debug`, {
      headers: { authorization: `Bearer ${ALICE.token}` },
    });
    expect(res.status).toBe(200);
    const debug = (await res.json()) as { teams: Record<string, unknown> };
    expect(Object.keys(debug.teams).sort()).toEqual(['alpha', 'default']);
  });

  it('refuses a tool call without mcp:tools:execute with 403 insufficient_scope', async () => {
    const reader = keep(await connectWithToken(sat.mcpUrl, READER.token));
    expect(await visibleServers(reader)).toEqual(['alpha', 'common']);
    const sessionId = (reader.transport as StreamableHTTPClientTransport).sessionId!;
    const headers = {
      authorization: `Bearer ${READER.token}`,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    };
    const execute = {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: {
        name: 'execute_mcp_tool',
        arguments: { tool_path: 'alpha-echo', arguments: { message: 'x' } },
      },
    };
    const res = await postMcp(sat.mcpUrl, execute, headers);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      `${challenge}, error="insufficient_scope", error_description="the token lacks the scope ${EXECUTE}", scope="${EXECUTE}"`,
    );
    const direct = await postMcp(
      `${sat.baseUrl}/i/alpha/mcp`,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: 'x' } },
      },
      { authorization: `Bearer ${READER.token}`, 'mcp-session-id': 'any' },
    );
    expect(direct.status).toBe(403);
  });

  it('refuses a session to another principal (404), on /mcp and on the legacy transport', async () => {
    const alice = keep(await connectWithToken(sat.mcpUrl, ALICE.token));
    const sessionId = (alice.transport as StreamableHTTPClientTransport).sessionId!;
    const res = await postMcp(
      sat.mcpUrl,
      { jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} },
      {
        authorization: `Bearer ${BOB.token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
    );
    expect(res.status).toBe(404);
    expect((await alice.listTools()).tools).toHaveLength(2);
  });

  it('watches the tokens file: a new token works, a removed one is refused on its next request', async () => {
    const alice = keep(await connectWithToken(sat.mcpUrl, ALICE.token));
    writeTokensFile(tokensPath, [BOB, READER, DAVE]);
    const dave = await waitFor('the new token accepted', async () => {
      const res = await postMcp(sat.mcpUrl, initializeRequest('dave'), {
        authorization: `Bearer ${DAVE.token}`,
      });
      await res.arrayBuffer();
      return res.status === 200 || undefined;
    });
    expect(dave).toBe(true);
    await expect(alice.listTools()).rejects.toThrow(/invalid_token/);
    const refused = await postMcp(sat.mcpUrl, initializeRequest('alice'), {
      authorization: `Bearer ${ALICE.token}`,
    });
    expect(refused.status).toBe(401);
    // A broken edit keeps the last good list.
    writeFileSync(tokensPath, '{"tokens": [{"token": "plain"}]');
    await sat.app.get(StaticTokenAuthenticator).reload(); // what the watcher runs on the edit
    const still = await postMcp(sat.mcpUrl, initializeRequest('dave'), {
      authorization: `Bearer ${DAVE.token}`,
    });
    await still.arrayBuffer();
    expect(still.status).toBe(200);
  });
});
