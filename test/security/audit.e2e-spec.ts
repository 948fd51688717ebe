// Invariant: every tool call leaves one structured audit record in the log (principal, teams,
// client, server, team, tool, outcome, duration) on /mcp, on the direct endpoint and on the REST
// tool routes (arguments refused by the input schema are `refused`), and no
// argument value that looks like a secret reaches the log, even at debug level. Runs the built
// satellite as its own process and reads its log as an operator would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { waitFor } from '../support/satellite.js';
import { type SatelliteProcess, spawnSatellite } from '../support/satellite-process.js';
import { EVERYTHING, stdioEntry } from '../support/upstreams.js';
import { connectWithToken, EXECUTE, type TokenGrant, writeTokensFile } from './support.js';

const ALICE: TokenGrant = {
  token: 'tok-alice-audit-0123456789',
  principal: 'alice',
  teams: ['alpha'],
  scopes: [EXECUTE],
};
const SECRET = 'sk-live-0f9e8d7c6b5a4938';

interface AuditLine {
  audit: string;
  principal: string;
  teams: string[];
  client?: { name: string };
  endpoint: string;
  server: string | null;
  team: string | null;
  tool: string;
  argument_names: string[];
  outcome: string;
  duration_ms: number;
}

describe('audit records of tool calls (the built satellite, its own log)', () => {
  let dir: string;
  let sat: SatelliteProcess;
  const clients: Client[] = [];
  const audits = (): AuditLine[] =>
    sat
      .output()
      .split('\n')
      .filter((l) => l.includes('"audit":"tool_call"'))
      .map((l) => JSON.parse(l) as AuditLine);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'satellite-audit-'));
    writeTokensFile(join(dir, 'tokens.json'), [ALICE]);
    writeFileSync(
      join(dir, 'mcp.json'),
      JSON.stringify({
        mcpServers: { alpha: stdioEntry(EVERYTHING, ['stdio'], { team: 'alpha' }) },
      }),
    );
    sat = await spawnSatellite({
      NODE_ENV: 'test',
      LOG_LEVEL: 'debug',
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_MCP_CONFIG: join(dir, 'mcp.json'),
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_AUTH: 'tokens',
      DEPLOYSTACK_AUTH_TOKENS_FILE: join(dir, 'tokens.json'),
    });
    await waitFor('the server discovered', async () => {
      const res = await fetch(`${sat.base}/`, {
        headers: { authorization: `Bearer ${ALICE.token}` },
      });
      return ((await res.json()) as { tools: number }).tools > 0 || undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    if (sat && sat.child.exitCode === null) {
      sat.child.kill('SIGTERM');
      await sat.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one record per call, on /mcp and /i/{slug}/mcp, without secret argument values', async () => {
    const meta = await connectWithToken(`${sat.base}/mcp`, ALICE.token, 'audited-client');
    const direct = await connectWithToken(`${sat.base}/i/alpha/mcp`, ALICE.token, 'direct-client');
    clients.push(meta, direct);
    await meta.callTool({
      name: 'execute_mcp_tool',
      arguments: {
        tool_path: 'alpha-echo',
        arguments: { message: `Bearer ${SECRET}`, api_key: SECRET },
      },
    });
    await meta.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'beta-echo', arguments: { message: 'x' } },
    });
    await direct.callTool({ name: 'echo', arguments: { message: 'hi', password: SECRET } });

    const records = await waitFor('three audit records', () => {
      const lines = audits();
      return lines.length >= 3 ? lines : undefined;
    });
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      principal: 'alice',
      teams: expect.arrayContaining(['alpha']),
      client: { name: 'audited-client' },
      endpoint: 'meta',
      server: 'alpha',
      team: 'alpha',
      tool: 'echo',
      argument_names: ['message', 'api_key'],
      outcome: 'ok',
    });
    expect(records[0].duration_ms).toEqual(expect.any(Number));
    expect(records[1]).toMatchObject({ server: null, tool: 'beta-echo', outcome: 'error' });
    expect(records[2]).toMatchObject({
      principal: 'alice',
      client: { name: 'direct-client' },
      endpoint: 'direct',
      server: 'alpha',
      tool: 'echo',
      argument_names: ['message', 'password'],
      outcome: 'ok',
    });
    // The request-log event (debug level here; the backend's request logs in managed mode)
    // carries the arguments with secrets redacted.
    const logged = sat.output();
    expect(logged).toMatch(/"tool_params":\{"message":"\[REDACTED\]","api_key":"\[REDACTED\]"\}/);
    expect(logged).not.toContain(SECRET);
  }, 30_000);

  it('writes the records of REST calls too, with endpoint "rest"', async () => {
    const before = audits().length;
    const call = (body: unknown) =>
      fetch(`${sat.base}/api/tools/alpha-echo/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await call({ message: `Bearer ${SECRET}` })).status).toBe(200);
    expect((await call({ message: 42 })).status).toBe(400);
    const records = await waitFor('two more audit records', () => {
      const lines = audits();
      return lines.length >= before + 2 ? lines.slice(before) : undefined;
    });
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      principal: 'alice',
      endpoint: 'rest',
      server: 'alpha',
      team: 'alpha',
      tool: 'echo',
      argument_names: ['message'],
      outcome: 'ok',
    });
    expect(records[1]).toMatchObject({ endpoint: 'rest', tool: 'echo', outcome: 'refused' });
    expect(sat.output()).not.toContain(SECRET);
  }, 30_000);
});
