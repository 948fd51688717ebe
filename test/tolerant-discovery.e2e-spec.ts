// Invariant: one bad tool definition in an upstream's tools/list does not cost the server its
// other tools. Nulls in optional fields are dropped, a tool still invalid is skipped and reported
// (debug route), the rest are discovered across pages and callable, over stdio and over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolCatalogService } from '../src/discovery/tool-catalog.service.js';
import { connectClient, type Satellite, startSatellite } from './support/satellite.js';
import { LOOPBACK_ONLY, ROOT, stdioEntry } from './support/upstreams.js';

const SLOPPY = resolve(ROOT, 'test', 'fixtures', 'sloppy-tools-server.mjs');

interface DebugServer {
  slug: string;
  status: string;
  tools: string[];
  skipped_tools: Array<{ index: number; name?: string; reason: string }>;
}

/** The fixture over HTTP in its own process; resolves with its /mcp URL. */
async function startSloppyHttp(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', LOOPBACK_ONLY, SLOPPY, 'http'], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on port (\d+)/.exec(out);
      if (m) res(m[1]);
    });
    child.once('exit', (code) => rej(new Error(`sloppy-tools-server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

describe('tolerant discovery of a sloppy tools/list', () => {
  let sat: Satellite;
  let client: Client;
  let http: { url: string; child: ChildProcess };

  beforeAll(async () => {
    http = await startSloppyHttp();
    sat = await startSatellite({
      sloppy: stdioEntry(SLOPPY),
      sloppyweb: { type: 'http', url: http.url },
    });
    client = await connectClient(sat.mcpUrl);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await sat?.stop();
    http?.child.kill('SIGTERM');
  });

  const debugServer = async (slug: string): Promise<DebugServer | undefined> => {
    const res = await fetch(`${sat.baseUrl}/api/status/debug`);
    const debug = (await res.json()) as {
      teams: Record<string, Record<string, DebugServer[]>>;
    };
    return Object.values(debug.teams)
      .flatMap((t) => Object.values(t).flat())
      .find((s) => s.slug === slug);
  };
  const execute = async (toolPath: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: toolPath, arguments: args },
    })) as CallToolResult;

  it.each(['sloppy', 'sloppyweb'])(
    '%s: keeps the valid and repaired tools of both pages, skips and reports the invalid ones',
    async (slug) => {
      const server = await debugServer(slug);
      expect(server?.status).toBe('online');
      expect([...(server?.tools ?? [])].sort()).toEqual(
        [`${slug}-echo`, `${slug}-nested_nulls`, `${slug}-null_annotations`].sort(),
      );
      expect(server?.skipped_tools).toEqual([
        { index: 2, reason: expect.stringMatching(/^name: /) },
        { index: 3, name: 'bad_schema', reason: expect.stringMatching(/^inputSchema: /) },
      ]);

      const catalog = sat.app.get(ToolCatalogService);
      // The nulls were dropped, not turned into anything else.
      expect(catalog.get(`${slug}-null_annotations`)?.tool).toEqual({
        name: 'null_annotations',
        inputSchema: { type: 'object', properties: {} },
      });
      expect(catalog.get(`${slug}-nested_nulls`)?.tool.annotations).toEqual({
        readOnlyHint: true,
      });
      // A null the JSON Schema means (inside inputSchema) is kept.
      expect(
        (catalog.get(`${slug}-echo`)?.tool.inputSchema.properties as Record<string, object>).note,
      ).toEqual({ type: ['string', 'null'], default: null });
    },
  );

  it.each(['sloppy', 'sloppyweb'])('%s: the kept tools are callable', async (slug) => {
    expect((await execute(`${slug}-echo`, { text: 'hi' })).content).toEqual([
      { type: 'text', text: 'echo: hi' },
    ]);
    for (const name of ['null_annotations', 'nested_nulls']) {
      const r = await execute(`${slug}-${name}`);
      expect(r.isError).toBeFalsy();
      expect(r.content).toEqual([{ type: 'text', text: `called ${name}` }]);
    }
    const bad = await execute(`${slug}-bad_schema`);
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain('Unknown tool path');
  });
});
