// Invariant: with DEPLOYSTACK_AUTH=tokens, /api/tools is guarded as /mcp is: 401 with the
// challenge without a valid token, 403 insufficient_scope for a call without mcp:tools:execute,
// a server's team decides who finds, reads and calls its tools (another team's tool is 404, as
// it is unknown on /mcp), and the per-caller OpenAPI document lists only the caller's tools.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Satellite, startSatellite } from '../support/satellite.js';
import { EVERYTHING, MEMORY, stdioEntry } from '../support/upstreams.js';
import { EXECUTE, type TokenGrant, writeTokensFile } from '../security/support.js';
import { expectValidOpenApi, getJson, postJson } from './support.js';

const ALICE: TokenGrant = {
  token: 'tok-rest-alice-0123456789',
  principal: 'alice',
  teams: ['alpha'],
  scopes: [EXECUTE],
};
const BOB: TokenGrant = {
  token: 'tok-rest-bob-0123456789',
  principal: 'bob',
  teams: ['beta'],
  scopes: [EXECUTE],
};
const READER: TokenGrant = {
  token: 'tok-rest-reader-0123456789',
  principal: 'carol',
  teams: ['alpha'],
};
const PROBLEM = 'application/problem+json';
const bearer = (g: TokenGrant) => ({ authorization: `Bearer ${g.token}` });

describe('REST tools under DEPLOYSTACK_AUTH=tokens (real satellite, real upstreams)', () => {
  let sat: Satellite;
  let api: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'satellite-rest-tokens-'));
    const tokensPath = join(dir, 'tokens.json');
    writeTokensFile(tokensPath, [ALICE, BOB, READER]);
    sat = await startSatellite(
      {
        alpha: stdioEntry(EVERYTHING, ['stdio'], { team: 'alpha' }),
        beta: stdioEntry(EVERYTHING, ['stdio'], { team: 'beta' }),
        common: stdioEntry(MEMORY, [], { env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } }),
      },
      {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: tokensPath,
        DEPLOYSTACK_SATELLITE_URL: 'https://satellite.example.com',
      },
    );
    api = `${sat.baseUrl}/api/tools`;
  }, 120_000);

  afterAll(async () => {
    await sat?.stop();
  });

  const challenge = `Bearer resource_metadata="https://satellite.example.com/.well-known/oauth-protected-resource/mcp"`;

  it('answers 401 problems with the challenge without a token, and with invalid_token for a wrong one', async () => {
    const refusals = [
      await fetch(`${api}?query=echo`),
      await fetch(`${api}/alpha-echo`),
      await fetch(`${api}/openapi.json`),
      await fetch(`${api}/alpha-echo/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"message":"x"}',
      }),
    ];
    for (const res of refusals) {
      expect({ url: res.url, status: res.status }).toEqual({ url: res.url, status: 401 });
      expect(res.headers.get('www-authenticate')).toBe(challenge);
      expect(res.headers.get('content-type')).toContain(PROBLEM);
      expect(await res.json()).toMatchObject({
        type: 'urn:deploystack:satellite:problem:unauthorized',
        status: 401,
        error: 'unauthorized',
      });
    }
    const wrong = await getJson(`${api}?query=echo`, { authorization: 'Bearer tok-nobody-0123' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(wrong.body).toMatchObject({ status: 401, error: 'invalid_token' });
  });

  it('lets a token without mcp:tools:execute search and read, and refuses its calls with 403', async () => {
    const found = await getJson(`${api}?query=echo`, bearer(READER));
    expect(found.status).toBe(200);
    expect((await getJson(`${api}/alpha-echo`, bearer(READER))).status).toBe(200);
    const call = await postJson(`${api}/alpha-echo/call`, { message: 'x' }, bearer(READER));
    expect(call.status).toBe(403);
    expect(call.headers.get('content-type')).toContain(PROBLEM);
    expect(call.headers.get('www-authenticate')).toMatch(
      /error="insufficient_scope".*scope="mcp:tools:execute"/,
    );
    expect(call.body).toMatchObject({
      type: 'urn:deploystack:satellite:problem:insufficient-scope',
      status: 403,
      error: 'insufficient_scope',
    });
    // and its OpenAPI document offers nothing to call
    const doc = await getJson(`${api}/openapi.json`, bearer(READER));
    expect(doc.body.paths).toEqual({});
    await expectValidOpenApi(doc.body);
  });

  it("finds, reads and calls only the caller's teams' tools and the team-less ones", async () => {
    const listed = await getJson(`${api}?query=*&limit=50`, bearer(ALICE));
    const servers = new Set((listed.body.tools as { server: string }[]).map((t) => t.server));
    expect([...servers].sort()).toEqual(['alpha', 'common']);

    const echoed = await postJson(
      `${api}/alpha-echo/call`,
      { message: 'from alice' },
      bearer(ALICE),
    );
    expect(echoed.status).toBe(200);
    expect(echoed.body).toEqual({ content: [{ type: 'text', text: 'Echo: from alice' }] });
    const shared = await postJson(`${api}/common-read_graph/call`, {}, bearer(BOB));
    expect(shared.status).toBe(200);

    for (const res of [
      await getJson(`${api}/beta-echo`, bearer(ALICE)),
      await postJson(`${api}/beta-echo/call`, { message: 'not yours' }, bearer(ALICE)),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ type: 'urn:deploystack:satellite:problem:unknown-tool' });
      // Not even a suggestion names the other team's tools.
      expect(JSON.stringify(res.body.suggestions)).not.toMatch(/beta-/);
    }
    // a search filtered to the other team's server finds nothing
    const other = await getJson(`${api}?query=*&server=beta`, bearer(ALICE));
    expect(other.body.tools).toEqual([]);
  });

  it("lists only the caller's tools in its OpenAPI document, behind bearer auth", async () => {
    const alice = await getJson(`${api}/openapi.json`, bearer(ALICE));
    expect(alice.status).toBe(200);
    await expectValidOpenApi(alice.body);
    const paths = Object.keys(alice.body.paths as object);
    expect(paths).toContain('/api/tools/alpha-echo/call');
    expect(paths).toContain('/api/tools/common-read_graph/call');
    expect(paths.filter((p) => p.startsWith('/api/tools/beta-'))).toEqual([]);
    const listed = await getJson(`${api}?query=*&limit=50`, bearer(ALICE));
    expect(paths.length).toBe(listed.body.total_found);
    expect(alice.body.security).toEqual([{ bearer: [] }]);
    expect(alice.body.servers).toEqual([{ url: 'https://satellite.example.com' }]);

    const bob = await getJson(`${api}/openapi.json`, bearer(BOB));
    const bobPaths = Object.keys(bob.body.paths as object);
    expect(bobPaths).toContain('/api/tools/beta-echo/call');
    expect(bobPaths.filter((p) => p.startsWith('/api/tools/alpha-'))).toEqual([]);
  });
});
