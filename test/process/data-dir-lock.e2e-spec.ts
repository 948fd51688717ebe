// Invariant: one data directory, one satellite. A second satellite on a data directory another
// live satellite holds exits 78 with the reason and touches nothing (no sweep, no file, no
// server); once the holder is dead (even SIGKILLed) the next one starts and sweeps what it left.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createApp } from '../../src/app.factory.js';
import { loadSatelliteConfig } from '../../src/config/config.loader.js';
import {
  DataDirLockedError,
  LOCK_DB_FILE,
  LOCK_INFO_FILE,
} from '../../src/config/data-dir-lock.js';
import { connectClient, startSatellite, waitFor } from '../support/satellite.js';
import { MAIN, type SatelliteProcess, spawnSatellite } from '../support/satellite-process.js';
import { fixture } from './support/process-harness.js';

interface Setup {
  readonly dataDir: string;
  readonly env: Record<string, string>;
}

/** A standalone config with one stdio server whose group outlives a SIGKILLed satellite. */
function setup(): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'satellite-lock-'));
  const config = join(dir, 'mcp.json');
  // spawns-grandchild: the server's helper (same group, ignores SIGTERM) outlives the satellite.
  writeFileSync(
    config,
    JSON.stringify({
      mcpServers: { tree: { command: process.execPath, args: [fixture('spawns-grandchild.mjs')] } },
    }),
  );
  const dataDir = join(dir, 'data');
  return {
    dataDir,
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DEPLOYSTACK_MCP_CONFIG: config,
      DEPLOYSTACK_DATA_DIR: dataDir,
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
    },
  };
}

/** Runs the built satellite to its exit (for one that must not start). */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((res) => child.once('close', (code) => res({ code, output })));
}

async function callText(client: Client, tool: string): Promise<string> {
  const result = await client.callTool({
    name: 'execute_mcp_tool',
    arguments: { tool_path: `tree-${tool}`, arguments: {} },
  });
  expect(result.isError).toBeFalsy();
  return (result.content as Array<{ text: string }>)[0].text;
}

/** Fields 3 (state) and 5 (pgid) of /proc/<pid>/stat; undefined once the process is gone. */
function procStat(pid: number): { state: string; pgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}
const alive = (pid: number) => {
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z';
};

/** Every path under `dir` with its inode, size and mtime: what "touches nothing" compares. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const st = statSync(path);
      // The holder itself flushes its usage figures every 10 s (docs/usage.md "Storage"): those
      // files may grow under it, but must stay the same files.
      const own = /^usage\.sqlite/.test(name);
      const content = own ? '' : ` size=${st.size} mtime=${st.mtimeMs}`;
      out.push(`${path} ino=${st.ino}${content} mode=${st.mode}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out;
}

// Cleanup of whatever a failed test leaves: satellites, then the server groups they started.
const started: ChildProcess[] = [];
const groups: number[] = [];
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function startHolder(env: Record<string, string>): Promise<{
  sat: SatelliteProcess;
  client: Client;
  serverPid: number;
  helperPid: number;
}> {
  const sat = await spawnSatellite(env);
  started.push(sat.child);
  const client = await connectClient(`${sat.base}/mcp`);
  clients.push(client);
  const serverPid = Number(await callText(client, 'pid'));
  groups.push(serverPid);
  const helperPid = Number(await callText(client, 'helper'));
  // The server leads its own process group (setsid), with the helper in it.
  expect(procStat(serverPid)?.pgid).toBe(serverPid);
  expect(procStat(helperPid)?.pgid).toBe(serverPid);
  return { sat, client, serverPid, helperPid };
}

describe('one data directory, one satellite', () => {
  it('a second satellite on a held data directory exits 78 and touches nothing; the first keeps serving', async () => {
    const { dataDir, env } = setup();
    const a = await startHolder(env);
    const holder = JSON.parse(readFileSync(join(dataDir, LOCK_INFO_FILE), 'utf8')) as {
      pid: number;
    };
    expect(holder.pid).toBe(a.sat.child.pid);
    const before = tree(dataDir);

    const b = await runToExit(env);
    expect(b.code).toBe(78);
    expect(b.output).toContain(
      `DEPLOYSTACK_DATA_DIR ${dataDir} is locked by another satellite, pid ${a.sat.child.pid}`,
    );
    expect(b.output).toMatch(/Stop the other satellite, or give this one its own/);
    expect(b.output).not.toMatch(/listening|swept|leftover/);
    // No sweep, no record removed, no file written.
    expect(tree(dataDir)).toEqual(before);

    // A's server is the same process, in the same group, and still answers.
    expect(Number(await callText(a.client, 'pid'))).toBe(a.serverPid);
    expect(procStat(a.serverPid)?.pgid).toBe(a.serverPid);
    expect(alive(a.helperPid)).toBe(true);
    expect(a.sat.child.exitCode).toBeNull();

    a.sat.child.kill('SIGTERM');
    expect(await a.sat.exited).toBe(0);
    expect(readdirSync(dataDir)).not.toContain(LOCK_INFO_FILE); // released on a clean exit
  }, 90_000);

  it('after the holder is SIGKILLed, the next satellite starts, sweeps its orphaned group and serves', async () => {
    const { dataDir, env } = setup();
    const a = await startHolder(env);
    a.sat.child.kill('SIGKILL');
    await a.sat.exited;
    // The dead satellite's group lives on (nothing ran its shutdown or exit hooks): at least the
    // helper; the server itself exits when its stdin closes.
    expect(alive(a.helperPid)).toBe(true);
    expect(procStat(a.helperPid)?.pgid).toBe(a.serverPid);
    expect(readdirSync(join(dataDir, 'run', 'process-groups'))).toEqual([String(a.serverPid)]);

    const c = await spawnSatellite(env);
    started.push(c.child);
    await waitFor(
      'the orphaned group to be killed',
      () => !alive(a.serverPid) && !alive(a.helperPid),
    );
    expect(c.output()).toMatch(
      new RegExp(`killed leftover process group ${a.serverPid} of server tree`),
    );
    expect(c.output()).toMatch(/swept 1 process group\(s\)/);
    const holder = JSON.parse(readFileSync(join(dataDir, LOCK_INFO_FILE), 'utf8')) as {
      pid: number;
    };
    expect(holder.pid).toBe(c.child.pid);

    const client = await connectClient(`${c.base}/mcp`);
    clients.push(client);
    const serverPid = Number(await callText(client, 'pid'));
    groups.push(serverPid);
    expect(serverPid).not.toBe(a.serverPid);
    expect(alive(serverPid)).toBe(true);

    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  }, 90_000);

  it('in-process apps (createApp) take the lock too, and app.close() releases it', async () => {
    const sat = await startSatellite({});
    const dataDir = join(sat.dir, 'data');
    const config = loadSatelliteConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'error',
      DEPLOYSTACK_MCP_CONFIG: sat.configPath,
      DEPLOYSTACK_DATA_DIR: dataDir,
      DEPLOYSTACK_SANDBOX: 'none',
    });
    let refused: unknown;
    try {
      await (await createApp(config)).close();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).holder?.pid).toBe(process.pid);

    await sat.stop();
    expect(readdirSync(dataDir)).not.toContain(LOCK_INFO_FILE);
    const next = await createApp(config);
    expect(readdirSync(dataDir)).toContain(LOCK_INFO_FILE);
    await next.close();
    expect(readdirSync(dataDir)).toContain(LOCK_DB_FILE);
    expect(readdirSync(dataDir)).not.toContain(LOCK_INFO_FILE);
  }, 60_000);
});
