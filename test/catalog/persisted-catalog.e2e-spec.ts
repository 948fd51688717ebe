// Invariant: the last good tool list of each server survives a restart of the satellite process
// (same data directory): discover_mcp_tools answers with a slow server's tools at once, marked
// `server_status: "starting"`, and calls to them succeed once it is up. Tool definitions are
// pinned on first sight: a server whose tools changed between two starts is flagged with the
// diff (`warn`), and under `hold` its changed and added tools are neither found nor executable
// until its `approvedToolsHash` names the new tool set.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, waitFor } from '../support/satellite.js';
import { type SatelliteProcess, spawnSatellite } from '../support/satellite-process.js';
import { ROOT } from '../support/upstreams.js';

const FIXTURE = resolve(ROOT, 'test', 'fixtures', 'catalog-server.mjs');
/** How late the slow server answers `initialize` on the restart. */
const INIT_DELAY_MS = 20_000;

interface Hit {
  tool_path: string;
  description: string;
  server_status?: string;
}
interface Pinning {
  policy: string;
  pinned_set_hash: string;
  current_set_hash: string;
  changes: { tool: string; kind: string; fields?: string[]; since: string }[];
  held_tools: string[];
}
interface DebugServer {
  slug: string;
  state: string;
  tools_restored?: boolean;
  tools_changed?: boolean;
  pinning?: Pinning;
}

const text = (r: CallToolResult) =>
  r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('the persisted catalog across restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'satellite-catalog-'));
  const configPath = join(dir, 'mcp.json');
  const controlFile = join(dir, 'control.json');
  const writeConfig = (extra: Record<string, unknown> = {}) =>
    writeFileSync(
      configPath,
      JSON.stringify({
        mcpServers: {
          cat: {
            command: process.execPath,
            args: [FIXTURE],
            env: { CONTROL_FILE: controlFile },
            ...extra,
          },
        },
      }),
    );
  const control = (c: Record<string, unknown>) => writeFileSync(controlFile, JSON.stringify(c));
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DEPLOYSTACK_MCP_CONFIG: configPath,
    DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
    DEPLOYSTACK_SANDBOX: 'none',
    DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
    DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
    DEPLOYSTACK_TOOLS_RECHECK_INTERVAL_MS: '0',
    // The slow start is within every bound: discovery, handshake and a call's wait.
    DEPLOYSTACK_DISCOVERY_TIMEOUT_MS: '120000',
    DEPLOYSTACK_HANDSHAKE_TIMEOUT_MS: '120000',
    DEPLOYSTACK_CATALOG_CALL_WAIT_MS: '120000',
  };
  let sat: SatelliteProcess | undefined;
  let client: Client | undefined;
  const figures: string[] = [];

  const start = async (): Promise<number> => {
    const began = Date.now();
    sat = await spawnSatellite(env);
    client = await connectClient(`${sat.base}/mcp`);
    return began;
  };
  const stop = async () => {
    await client?.close();
    client = undefined;
    if (sat) {
      sat.child.kill('SIGTERM');
      await sat.exited;
      sat = undefined;
    }
  };
  const discover = async (query = '*'): Promise<Hit[]> =>
    (
      (await client!.callTool({ name: 'discover_mcp_tools', arguments: { query, limit: 50 } }))
        .structuredContent as { tools: Hit[] }
    ).tools;
  const execute = async (toolPath: string, args: Record<string, unknown> = {}) =>
    (await client!.callTool(
      { name: 'execute_mcp_tool', arguments: { tool_path: toolPath, arguments: args } },
      undefined,
      { timeout: 150_000 },
    )) as CallToolResult;
  const debugCat = async (): Promise<DebugServer | undefined> => {
    const debug = (await (await fetch(`${sat!.base}/api/status/debug`)).json()) as {
      teams: Record<string, Record<string, DebugServer[]>>;
    };
    return Object.values(debug.teams)
      .flatMap((t) => Object.values(t).flat())
      .find((s) => s.slug === 'cat');
  };
  const catOnline = () =>
    waitFor(
      'cat online',
      async () => ((await debugCat())?.state === 'online' ? true : undefined),
      90_000,
    );

  beforeAll(() => {
    writeConfig();
    control({});
  });
  afterAll(async () => {
    await stop();
    if (figures.length) console.log(figures.join('\n'));
  }, 30_000);

  it('first start: the tools are listed, pinned and stored', async () => {
    const began = await start();
    await catOnline();
    const paths = (await discover()).map((h) => h.tool_path);
    expect(paths).toEqual(expect.arrayContaining(['cat-echo', 'cat-lookup']));
    figures.push(
      `boot → first discover with the tools, no stored catalog: ${Date.now() - began} ms`,
    );
    const cat = await debugCat();
    expect(cat?.tools_changed).toBe(false);
    expect(cat?.pinning?.changes).toEqual([]);
    await stop();
  }, 120_000);

  it('restart with a server that answers initialize 20 s late: found at once, marked, callable once up', async () => {
    control({ initDelayMs: INIT_DELAY_MS });
    const began = await start();
    const hits = await discover();
    const firstDiscover = Date.now() - began;
    const echo = hits.find((h) => h.tool_path === 'cat-echo');
    expect(echo).toMatchObject({ tool_path: 'cat-echo', server_status: 'starting' });
    expect(hits.map((h) => h.tool_path)).toContain('cat-lookup');
    expect((await debugCat())?.tools_restored).toBe(true);
    figures.push(`boot → first discover with the tools, stored catalog: ${firstDiscover} ms`);

    // The call waits for the server (DEPLOYSTACK_CATALOG_CALL_WAIT_MS), then succeeds.
    const r = await execute('cat-echo', { message: 'after restart' });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toBe('echo: after restart');
    figures.push(
      `boot → the slow server online (what discover waited for without it): ${Date.now() - began} ms`,
    );
    const after = (await discover()).find((h) => h.tool_path === 'cat-echo');
    expect(after?.server_status).toBeUndefined();
    expect((await debugCat())?.tools_restored).toBeUndefined();
    await stop();
  }, 180_000);

  it('a server whose tools changed between two starts is flagged with the diff (warn)', async () => {
    control({ lookupWording: ' (second edition)', extraTool: 'extra' });
    await start();
    await catOnline();
    const cat = await waitFor('the pinning diff', async () => {
      const s = await debugCat();
      return s?.tools_changed ? s : undefined;
    });
    expect(cat.pinning?.policy).toBe('warn');
    expect(cat.pinning?.changes).toEqual([
      expect.objectContaining({ tool: 'extra', kind: 'added', since: expect.any(String) }),
      expect.objectContaining({ tool: 'lookup', kind: 'changed', fields: ['description'] }),
    ]);
    expect(cat.pinning?.held_tools).toEqual([]);
    expect(cat.pinning?.current_set_hash).not.toBe(cat.pinning?.pinned_set_hash);
    // warn: the new definitions are served.
    const hits = await discover();
    expect(hits.find((h) => h.tool_path === 'cat-lookup')?.description).toContain('second edition');
    expect(hits.map((h) => h.tool_path)).toContain('cat-extra');
    expect(sat!.output()).toContain('mcp.tools.changed');
  }, 120_000);

  it('under hold, changed and added tools are neither found nor executable until approved', async () => {
    writeConfig({ toolPinning: 'hold' });
    const held = await waitFor(
      'the hold policy',
      async () => {
        const s = await debugCat();
        return s?.state === 'online' && s.pinning?.policy === 'hold' ? s : undefined;
      },
      90_000,
    );
    expect([...held.pinning!.held_tools].sort()).toEqual(['extra', 'lookup']);
    const paths = (await discover()).map((h) => h.tool_path);
    expect(paths).toContain('cat-echo');
    expect(paths).not.toContain('cat-lookup');
    expect(paths).not.toContain('cat-extra');
    const refused = await execute('cat-lookup', { word: 'pin' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('Tool "lookup" of server "cat" is held');
    expect(text(await execute('cat-echo', { message: 'still here' }))).toBe('echo: still here');
    // The direct endpoint serves the same: held tools are neither listed nor callable there.
    const direct = await connectClient(`${sat!.base}/i/cat/mcp`);
    try {
      const listed = (await direct.listTools()).tools.map((t) => t.name);
      expect(listed).toContain('echo');
      expect(listed).not.toContain('lookup');
      expect(listed).not.toContain('extra');
      const directRefused = (await direct.callTool({
        name: 'lookup',
        arguments: { word: 'pin' },
      })) as CallToolResult;
      expect(directRefused.isError).toBe(true);
      expect(text(directRefused)).toContain('is held');
    } finally {
      await direct.close();
    }
    // And over REST: 409, an operator has to act.
    const rest = await fetch(`${sat!.base}/api/tools/cat-lookup/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ word: 'pin' }),
    });
    expect(rest.status).toBe(409);
    expect(((await rest.json()) as { type: string }).type).toContain('tool-held');

    // Approval: the server file names the tool set the debug route shows.
    writeConfig({ toolPinning: 'hold', approvedToolsHash: held.pinning!.current_set_hash });
    const approved = await waitFor(
      'the approval',
      async () => {
        const s = await debugCat();
        return s?.state === 'online' && s.pinning?.held_tools.length === 0 ? s : undefined;
      },
      90_000,
    );
    expect(approved.pinning?.changes).toEqual([]);
    expect(approved.pinning?.pinned_set_hash).toBe(held.pinning!.current_set_hash);
    expect((await discover()).map((h) => h.tool_path)).toEqual(
      expect.arrayContaining(['cat-lookup', 'cat-extra']),
    );
    expect(text(await execute('cat-lookup', { word: 'pin' }))).toBe('definition of pin');
  }, 180_000);
});
