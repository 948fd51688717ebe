// Invariant: the servers people actually configure run under the default sandbox (bwrap, network
// "egress"): `npx -y <package>` installs once per team and then starts without the network, a
// script inside an ordinary project resolves its own node_modules, and a sandboxed server reaches
// the internet (the npm registry) but never the host: not its loopback, not the satellite's port,
// not the host's own address. `"network": "none"` takes the internet away too. Skips, with the
// probe's reason, where bwrap or the network tools (pasta, nft, root) are missing.
import { checkoutUnreachableByTeams } from '../support/checkout-access.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ConfigFileWatcherService } from '../../src/discovery/config-file-watcher.service.js';
import { EventBusService } from '../../src/events/event-bus.service.js';
import { ROOT } from '../support/upstreams.js';
import { connectClient, type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import { fixture } from './support/process-harness.js';

type Driver = 'bwrap' | 'nsjail';

function probe(driver: Driver): { ok: boolean; reason?: string } {
  if (process.geteuid?.() !== 0)
    return { ok: false, reason: 'not root: sandbox networks need named network namespaces' };
  for (const [tool, pkg] of [
    [driver, driver === 'bwrap' ? 'bubblewrap' : 'nsjail, built from source'],
    ['pasta', 'passt'],
    ['nft', 'nftables'],
    ['ip', 'iproute2'],
  ]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return { ok: false, reason: `${tool} is not installed (${pkg})` };
  }
  const trial =
    driver === 'bwrap'
      ? spawnSync('bwrap', ['--unshare-pid', '--unshare-net', '--ro-bind', '/', '/', 'true'], {
          encoding: 'utf8',
        })
      : spawnSync('nsjail', ['--mode', 'o', '--quiet', '--chroot', '/', '--', '/bin/true'], {
          encoding: 'utf8',
        });
  if (trial.status !== 0)
    return { ok: false, reason: `${driver} does not work here: ${trial.stderr.trim()}` };
  return { ok: true };
}

const MEMORY_VERSION = (
  JSON.parse(
    readFileSync(
      resolve(ROOT, 'node_modules/@modelcontextprotocol/server-memory/package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;

interface ToolResult {
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

async function execute(client: Client, toolPath: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({
    name: 'execute_mcp_tool',
    arguments: { tool_path: toolPath, arguments: args },
  })) as ToolResult;
  return {
    isError: result.isError === true,
    text: (result.content ?? []).map((c) => c.text ?? '').join('\n'),
  };
}

async function debugServer(sat: Satellite, slug: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${sat.baseUrl}/api/status/debug`);
  const body = (await res.json()) as { teams: Record<string, Record<string, unknown[]>> };
  for (const byTransport of Object.values(body.teams))
    for (const list of Object.values(byTransport))
      for (const entry of list as Array<Record<string, unknown>>)
        if (entry.slug === slug) return entry;
  throw new Error(`server ${slug} is not on the debug route`);
}

/** A first non-loopback IPv4 address of this host, where a listener on 0.0.0.0 answers. */
function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

for (const driver of ['bwrap', 'nsjail'] as const) {
  const probed = probe(driver);
  if (!probed.ok) console.warn(`skipped: sandbox realism e2e tests (${driver}): ${probed.reason}`);
  const describeSandbox = probed.ok ? describe : describe.skip;
  describeSandbox(
    `servers people configure, under the default sandbox (${driver})${probed.ok ? '' : ` [${probed.reason}]`}`,
    () => {
      describe('npx -y <package> (from the npm registry)', () => {
        const servers = {
          mem: {
            command: 'npx',
            args: ['-y', `@modelcontextprotocol/server-memory@${MEMORY_VERSION}`],
            env: { MEMORY_FILE_PATH: '/tmp/memory.jsonl' },
          },
        };
        let dataDir: string;

        it('installs on the first start (state installing), then answers through execute_mcp_tool', async () => {
          const sat = await startSatellite({}, { DEPLOYSTACK_SANDBOX: driver });
          dataDir = join(sat.dir, 'data');
          const statuses: string[] = [];
          const unsubscribe = sat.app.get(EventBusService).subscribe((event) => {
            if (event.type === 'mcp.server.status_changed')
              statuses.push((event.data as { status: string }).status);
          });
          try {
            const t0 = Date.now();
            sat.writeConfig(servers);
            void sat.app.get(ConfigFileWatcherService).reload();
            await waitFor(
              'mem online',
              async () =>
                (await debugServer(sat, 'mem').catch(() => undefined))?.state === 'online',
              180_000,
            );
            const firstStartMs = Date.now() - t0;
            // installing (the backend's "provisioning") came before online.
            expect(statuses).toContain('provisioning');
            expect(statuses.indexOf('provisioning')).toBeLessThan(statuses.lastIndexOf('online'));
            const client = await connectClient(sat.mcpUrl);
            const created = await execute(client, 'mem-create_entities', {
              entities: [{ name: 'Alice', entityType: 'person', observations: ['works at Acme'] }],
            });
            expect(created.isError).toBe(false);
            expect((await execute(client, 'mem-read_graph')).text).toContain('Alice');
            await client.close();
            console.log(`npx first start (download + install + handshake): ${firstStartMs} ms`);
          } finally {
            unsubscribe();
            await sat.stop();
          }
        }, 240_000);

        it('a later start in the same team installs nothing: it starts even with "network": "none"', async () => {
          const installed = spawnSync('sh', [
            '-c',
            `ls -d ${dataDir}/teams/default/.satellite/npx/*/.installed`,
          ]).stdout.toString();
          const marker = installed.trim();
          expect(marker).not.toBe('');
          const before = statSync(marker).mtimeMs;
          const t0 = Date.now();
          const sat = await startSatellite(
            { mem: { ...servers.mem, network: 'none' } },
            { DEPLOYSTACK_SANDBOX: driver, DEPLOYSTACK_DATA_DIR: dataDir },
          );
          try {
            const secondStartMs = Date.now() - t0;
            const entry = await debugServer(sat, 'mem');
            expect(entry.state).toBe('online');
            expect((entry.process as { state: string }).state).toBe('running');
            const client = await connectClient(sat.mcpUrl);
            const found = await execute(client, 'mem-search_nodes', { query: 'Alice' });
            expect(found.isError).toBe(false);
            await client.close();
            expect(statSync(marker).mtimeMs).toBe(before); // the cache hit: nothing reinstalled
            console.log(`npx start from the team's cache, without network: ${secondStartMs} ms`);
          } finally {
            await sat.stop();
          }
        }, 120_000);
      });

      describe('a script inside an ordinary project', () => {
        const ctx = satelliteFor(driver, () => {
          // /srv/tools/my-server style: package.json at the root, node_modules beside it, the
          // script in a subfolder, importing a package by name.
          const project = join(mkdtempSync(join(tmpdir(), 'my-server-')), 'my-server');
          const dep = join(project, 'node_modules', 'rpc-server');
          mkdirSync(join(project, 'dist'), { recursive: true });
          mkdirSync(dep, { recursive: true });
          writeFileSync(join(project, 'package.json'), '{"name":"my-server","type":"module"}');
          writeFileSync(
            join(dep, 'package.json'),
            '{"name":"rpc-server","type":"module","main":"index.mjs"}',
          );
          writeFileSync(join(dep, 'index.mjs'), readFileSync(fixture('rpc-server.mjs')));
          writeFileSync(
            join(project, 'dist', 'index.mjs'),
            "import { serve } from 'rpc-server';\n" +
              "serve({ name: 'project', tools: { hello: { handler: () => 'hello from a project' } } });\n",
          );
          for (let d = project; d !== tmpdir(); d = resolve(d, '..')) chmodSync(d, 0o755);
          return { proj: { command: 'node', args: [join(project, 'dist', 'index.mjs')] } };
        });

        it('runs: its node_modules resolve inside the sandbox', async () => {
          const entry = await debugServer(ctx.sat, 'proj');
          expect(entry.state).toBe('online');
          expect(await execute(ctx.client, 'proj-hello')).toEqual({
            isError: false,
            text: 'hello from a project',
          });
        });
      });

      describe('a Python module in a venv, and a runner that is not installed', () => {
        let venv: string;
        const ctx = satelliteFor(driver, () => {
          // An ordinary Python project: pyproject.toml, a venv (.venv, linked to the host's
          // Python), the server as a module run with `python -m`.
          const project = join(mkdtempSync(join(tmpdir(), 'py-project-')), 'app');
          mkdirSync(join(project, 'py_mcp'), { recursive: true });
          writeFileSync(join(project, 'pyproject.toml'), '[project]\nname = "app"\n');
          writeFileSync(
            join(project, 'py_mcp', '__main__.py'),
            readFileSync(fixture('py-mcp/__main__.py')),
          );
          for (let d = project; d !== tmpdir(); d = resolve(d, '..')) chmodSync(d, 0o755);
          venv = join(project, '.venv');
          const made = spawnSync('python3', ['-m', 'venv', '--without-pip', venv], {
            encoding: 'utf8',
          });
          if (made.status !== 0) throw new Error(`python3 -m venv failed: ${made.stderr}`);
          return {
            py: { command: join(venv, 'bin', 'python'), args: ['-m', 'py_mcp'], cwd: project },
            'uv-tool': { command: 'uvx-not-installed-here', args: ['mcp-server-fetch'] },
          };
        });

        it('python -m <module> in a venv runs, on the venv', async () => {
          expect((await debugServer(ctx.sat, 'py')).state).toBe('online');
          expect(await execute(ctx.client, 'py-where')).toEqual({
            isError: false,
            text: `python 3 in ${venv}`,
          });
        });

        it('a command missing on the host is an error that says so, everywhere', async () => {
          const entry = await debugServer(ctx.sat, 'uv-tool');
          expect(entry.state).toBe('error');
          expect(String(entry.state_reason)).toMatch(/uvx-not-installed-here.*not installed/);
          const summary = (await (await fetch(ctx.sat.baseUrl)).json()) as {
            servers: Record<string, number>;
          };
          expect(summary.servers.error).toBeGreaterThanOrEqual(1);
        });
      });

      // These servers are fixtures of the checkout itself (the others are copied to a temp dir).
      const unreachable = checkoutUnreachableByTeams();
      (unreachable ? describe.skip : describe)(
        `the network of a sandboxed server${unreachable ? ` [${unreachable}]` : ''}`,
        () => {
          let loopback: Server;
          let anyAddress: Server;
          const tiny = (network?: unknown) => ({
            command: 'node',
            args: [fixture('tiny-server.mjs')],
            ...(network === undefined ? {} : { network }),
          });

          beforeAll(async () => {
            loopback = createServer((s) => s.end());
            await new Promise<void>((r) => loopback.listen(0, '127.0.0.1', r));
            anyAddress = createServer((s) => s.end());
            await new Promise<void>((r) => anyAddress.listen(0, '0.0.0.0', r));
          });
          const ctx = satelliteFor(driver, () => ({
            egress: tiny(),
            offline: tiny('none'),
            registry: tiny({ allow: ['registry.npmjs.org:443'] }),
          }));
          beforeAll(async () => {
            await waitFor('all three online', async () => {
              const states = await Promise.all(
                ['egress', 'offline', 'registry'].map(
                  async (s) => (await debugServer(ctx.sat, s)).state,
                ),
              );
              return states.every((s) => s === 'online');
            });
          }, 60_000);

          afterAll(() => {
            loopback?.close();
            anyAddress?.close();
          });

          const connect = async (slug: string, host: string, port: number) =>
            (await execute(ctx.client, `${slug}-connect`, { host, port })).text;
          const port = (s: Server) => (s.address() as { port: number }).port;

          it('the default ("egress") reaches the npm registry', async () => {
            expect(await connect('egress', 'registry.npmjs.org', 443)).toBe('connected');
          });

          it('never the host: its loopback, the satellite port, its own address', async () => {
            const satellitePort = Number(new URL(ctx.sat.baseUrl).port);
            // Controls: the same listeners answer from outside the sandbox.
            expect(await connectOutside('127.0.0.1', port(loopback))).toBe('connected');
            expect(await connect('egress', '127.0.0.1', port(loopback))).toMatch(/^error /);
            expect(await connect('egress', '127.0.0.1', satellitePort)).toMatch(/^error /);
            const own = hostAddress();
            expect(own).toBeDefined();
            expect(await connectOutside(own!, port(anyAddress))).toBe('connected');
            expect(await connect('egress', own!, port(anyAddress))).toMatch(/^error /);
          });

          it('"network": "none" has no registry either', async () => {
            expect(await connect('offline', 'registry.npmjs.org', 443)).toMatch(/^error /);
          });

          it('an allow-list reaches what it lists and nothing else', async () => {
            expect(await connect('registry', 'registry.npmjs.org', 443)).toBe('connected');
            expect(await connect('registry', 'registry.npmjs.org', 80)).toMatch(/^error /);
            expect(await connect('registry', '127.0.0.1', port(loopback))).toMatch(/^error /);
          });
        },
      );
    },
  );
}

/**
 * A satellite under `driver` with the servers `setup` returns (run in beforeAll, so it may write
 * fixtures first), and a connected client; both closed after the enclosing describe.
 */
function satelliteFor(
  driver: Driver,
  setup: () => Record<string, unknown>,
): { sat: Satellite; client: Client } {
  const ctx = {} as { sat: Satellite; client: Client };
  beforeAll(async () => {
    ctx.sat = await startSatellite(setup(), { DEPLOYSTACK_SANDBOX: driver });
    ctx.client = await connectClient(ctx.sat.mcpUrl);
  }, 60_000);
  afterAll(async () => {
    await ctx.client?.close();
    await ctx.sat?.stop();
  });
  return ctx;
}

/** The same connect as the fixture's, from the test process (outside any sandbox). */
function connectOutside(host: string, port: number): Promise<string> {
  return new Promise((done) => {
    const s = netConnect({ host, port });
    s.setTimeout(2000, () => (s.destroy(), done('timeout')));
    s.once('connect', () => (s.destroy(), done('connected')));
    s.once('error', (err: NodeJS.ErrnoException) => done(`error ${err.code}`));
  });
}
