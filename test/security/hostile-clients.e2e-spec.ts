// Invariant: hostile clients, authenticated or not, never get a 5xx, never reach another
// principal's session or another team's server, and never take the satellite down. A stateful
// fast-check model run (commands in random order against the real satellite with tokens, teams and
// quotas on) across /mcp, /i/{slug}/mcp, /sse and the status route.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { initializeRequest, postMcp } from '../support/mcp-http.js';
import { type Satellite, startSatellite } from '../support/satellite.js';
import { EVERYTHING, stdioEntry } from '../support/upstreams.js';
import { EXECUTE, type TokenGrant, writeTokensFile } from './support.js';

const PRINCIPALS: Record<string, TokenGrant> = {
  alice: {
    token: 'tok-fuzz-alice-0123456789',
    principal: 'alice',
    teams: ['alpha'],
    scopes: [EXECUTE],
  },
  bob: { token: 'tok-fuzz-bob-0123456789', principal: 'bob', teams: ['beta'], scopes: [EXECUTE] },
  carol: { token: 'tok-fuzz-carol-0123456789', principal: 'carol', teams: ['alpha'] },
};
const TEAM_OF: Record<string, string> = { alice: 'alpha', bob: 'beta', carol: 'alpha' };
type Who = keyof typeof PRINCIPALS;
const MAX_SESSIONS = 4;

interface Opened {
  readonly id: string;
  readonly path: string;
  readonly owner: Who;
}
interface Model {
  sessions: Opened[];
}
interface Real {
  readonly sat: Satellite;
  readonly statuses: number[];
}

const auth = (who: Who | undefined): Record<string, string> =>
  who ? { authorization: `Bearer ${PRINCIPALS[who].token}` } : {};

/** Every answer is recorded; none may be a 5xx. */
async function send(real: Real, path: string, init: RequestInit): Promise<Response> {
  const controller = new AbortController();
  const res = await fetch(`${real.sat.baseUrl}${path}`, { ...init, signal: controller.signal });
  real.statuses.push(res.status);
  if (res.headers.get('content-type')?.includes('text/event-stream') && init.method === 'GET')
    controller.abort();
  else await res.text().catch(() => undefined);
  expect({ path, status: res.status }).toEqual({ path, status: expect.any(Number) });
  expect(res.status).toBeLessThan(500);
  return res;
}

class OpenSession implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: Who,
    readonly path: string,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const res = await send(real, this.path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...auth(this.who),
      },
      body: JSON.stringify(initializeRequest(`fuzz-${this.who}`)),
    });
    const team = /^\/i\/([^/]+)\/mcp$/.exec(this.path)?.[1];
    const own = model.sessions.filter((s) => s.owner === this.who).length;
    if (team && team !== TEAM_OF[this.who]) expect(res.status).toBe(404);
    else if (own >= MAX_SESSIONS) expect(res.status).toBe(429);
    else {
      expect(res.status).toBe(200);
      model.sessions.push({
        id: res.headers.get('mcp-session-id')!,
        path: this.path,
        owner: this.who,
      });
    }
  }
  toString = () => `open(${this.who}, ${this.path})`;
}

class UseSession implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: Who,
    readonly pick: number,
    readonly kind: 'call' | 'list' | 'stream' | 'delete',
    readonly toolPath: string,
  ) {}
  check = (model: Readonly<Model>) => model.sessions.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const session = model.sessions[this.pick % model.sessions.length];
    const headers = {
      ...auth(this.who),
      'mcp-session-id': session.id,
      'mcp-protocol-version': '2025-11-25',
    };
    const post = (body: unknown) =>
      send(real, session.path, {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify(body),
      });
    const direct = session.path !== '/mcp';
    const callsTool = this.kind === 'call';
    let res: Response;
    if (this.kind === 'call')
      res = await post({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: direct
          ? { name: 'echo', arguments: { message: 'x' } }
          : {
              name: 'execute_mcp_tool',
              arguments: { tool_path: this.toolPath, arguments: { message: 'x' } },
            },
      });
    else if (this.kind === 'list')
      res = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    else if (this.kind === 'stream')
      res = await send(real, session.path, {
        method: 'GET',
        headers: { ...headers, accept: 'text/event-stream' },
      });
    else res = await send(real, session.path, { method: 'DELETE', headers });
    if (callsTool && !PRINCIPALS[this.who].scopes?.includes(EXECUTE)) expect(res.status).toBe(403);
    else if (this.who !== session.owner) expect(res.status).toBe(404);
    else expect([200, 202, 204, 409, 429]).toContain(res.status);
    if (this.kind === 'delete' && this.who === session.owner)
      model.sessions = model.sessions.filter((s) => s !== session);
  }
  toString = () => `${this.kind}(${this.who}, #${this.pick}, ${this.toolPath})`;
}

class Garbage implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly who: Who | undefined,
    readonly path: string,
    readonly method: string,
    readonly body: string,
    readonly session: string | undefined,
    readonly authorization: string | undefined,
  ) {}
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...auth(this.who),
    };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    if (this.session) headers['mcp-session-id'] = this.session;
    const res = await send(real, this.path, {
      method: this.method,
      headers,
      ...(this.method === 'POST' ? { body: this.body } : {}),
    });
    // Without credentials every route answers 401, before anything else; a route that does not
    // exist for the method is a plain 404.
    const route = this.path.split('?')[0];
    const exists = /mcp$/.test(route)
      ? true
      : ({ '/sse': 'GET', '/message': 'POST', '/': 'GET' } as Record<string, string>)[route] ===
        this.method;
    if (this.who === undefined && this.authorization === undefined)
      expect(res.status).toBe(exists ? 401 : 404);
  }
  toString = () => `garbage(${this.who}, ${this.method} ${this.path})`;
}

describe('hostile clients (stateful model run, tokens + teams + quotas)', () => {
  let sat: Satellite;

  beforeAll(async () => {
    const tokens = join(mkdtempSync(join(tmpdir(), 'satellite-fuzz-')), 'tokens.json');
    writeTokensFile(tokens, Object.values(PRINCIPALS));
    sat = await startSatellite(
      {
        alpha: stdioEntry(EVERYTHING, ['stdio'], { team: 'alpha' }),
        beta: stdioEntry(EVERYTHING, ['stdio'], { team: 'beta' }),
      },
      {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: tokens,
        DEPLOYSTACK_MAX_SESSIONS_PER_PRINCIPAL: String(MAX_SESSIONS),
        DEPLOYSTACK_MAX_STREAMS_PER_SESSION: '2',
      },
    );
  }, 90_000);
  afterAll(() => sat?.stop());

  it('never answers 5xx, never crosses principals or teams, and stays alive', async () => {
    const who = fc.constantFrom<Who>('alice', 'bob', 'carol');
    const path = fc.constantFrom('/mcp', '/i/alpha/mcp', '/i/beta/mcp');
    const commands = [
      fc.tuple(who, path).map(([w, p]) => new OpenSession(w, p)),
      fc
        .tuple(
          who,
          fc.nat(),
          fc.constantFrom('call', 'list', 'stream', 'delete' as const),
          fc.oneof(
            fc.constantFrom('alpha-echo', 'beta-echo', 'alpha-get-sum'),
            fc.string({ maxLength: 30 }),
          ),
        )
        .map(([w, n, k, t]) => new UseSession(w, n, k, t)),
      fc
        .tuple(
          fc.option(who, { nil: undefined }),
          fc.constantFrom(
            '/mcp',
            '/i/alpha/mcp',
            '/i/beta/mcp',
            '/i/nope/mcp',
            '/sse',
            '/message?sessionId=x',
            '/',
          ),
          fc.constantFrom('POST', 'GET', 'DELETE'),
          fc.oneof(
            fc.string({ maxLength: 200 }),
            fc.jsonValue().map((v) => JSON.stringify(v)),
          ),
          fc.option(
            fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x21-\x7e]/g, 'x') || 'x'),
            {
              nil: undefined,
            },
          ),
          fc.option(
            fc.oneof(
              fc.constantFrom(
                'Bearer',
                'Bearer ',
                'Basic Zm9vOmJhcg==',
                'Bearer a.b.c',
                'bearer tok-fuzz-alice-012345678',
              ),
              fc.string({ maxLength: 40 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, 'x')}`),
            ),
            { nil: undefined },
          ),
        )
        .map(([w, p, m, b, s, a]) => new Garbage(w, p, m, b, s, a)),
    ];
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (cmds) => {
        const model: Model = { sessions: [] };
        const real: Real = { sat, statuses };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
        } finally {
          // Each run starts from no session of its own.
          await Promise.all(
            model.sessions.map((s) =>
              fetch(`${sat.baseUrl}${s.path}`, {
                method: 'DELETE',
                headers: { ...auth(s.owner), 'mcp-session-id': s.id },
              }).then((r) => r.text()),
            ),
          );
        }
      }),
      // A short run in CI; FUZZ_RUNS=5000 for a long one (about 12 requests per run).
      { numRuns: Number(process.env.FUZZ_RUNS ?? 80) },
    );
    expect(statuses.length).toBeGreaterThan(200);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect((await fetch(`${sat.baseUrl}/health/live`)).status).toBe(200);
    const ok = await postMcp(sat.mcpUrl, initializeRequest('after'), auth('alice'));
    await ok.text();
    expect(ok.status).toBe(200);
  }, 3_600_000);
});
