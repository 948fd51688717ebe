// Invariant: a satellite reachable beyond loopback never serves MCP without authentication unless
// the operator said so. Runs the built satellite (dist/main.js) as its own process, as an
// operator would: a non-loopback HOST without authentication refuses to start (exit 78, one
// message naming what to set); DEPLOYSTACK_ALLOW_UNAUTHENTICATED=true starts it with a warning;
// the Docker image's own environment starts and refuses MCP clients until tokens are added.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { initializeRequest, postMcp } from '../support/mcp-http.js';
import { waitFor } from '../support/satellite.js';
import { MAIN } from '../support/satellite-process.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EMPTY_SERVERS = join(ROOT, 'config', 'mcp-servers.empty.json');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(env: Record<string, string>) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
  const dir = mkdtempSync(join(tmpdir(), 'satellite-bind-'));
  dirs.push(dir);
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      DEPLOYSTACK_MCP_CONFIG: EMPTY_SERVERS,
      ...env,
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => output, exited };
}

/** Waits for the "listening" line; the port is reached on loopback whatever HOST bound. */
async function listening(p: ReturnType<typeof run>): Promise<string> {
  const port = await waitFor(
    'the "listening on" line',
    () => {
      if (p.child.exitCode !== null)
        throw new Error(`the satellite exited with ${p.child.exitCode}:\n${p.output()}`);
      return /satellite listening on http:\/\/[^\s]*:(\d+)/.exec(p.output())?.[1];
    },
    30_000,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    'GET /health/ready = 200',
    async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200,
    30_000,
  );
  return base;
}

async function stop(p: ReturnType<typeof run>): Promise<number | null> {
  p.child.kill('SIGTERM');
  return p.exited;
}

/** The `ENV` instructions of the Dockerfile, as the image's process sees them. */
function dockerfileEnv(): Record<string, string> {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const env: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => /^ENV\s/.test(l)))
    for (const [, k, v] of line.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g))
      env[k] = v.replace(/^"|"$/g, '');
  return env;
}

describe('binding beyond loopback (the built satellite, as its own process)', () => {
  it('refuses to start without authentication: exit 78 and one message saying what to set', async () => {
    const p = run({ HOST: '0.0.0.0', NODE_ENV: 'production' });
    expect(await p.exited).toBe(78);
    const out = p.output();
    expect(out).not.toMatch(/listening on/);
    expect(out.match(/^ {2}- /gm)).toHaveLength(1);
    for (const what of [
      'HOST=0.0.0.0',
      'DEPLOYSTACK_AUTH=tokens',
      'DEPLOYSTACK_AUTH=jwt',
      'DEPLOYSTACK_ALLOW_UNAUTHENTICATED=true',
    ])
      expect(out).toContain(what);
  }, 30_000);

  it('starts with DEPLOYSTACK_ALLOW_UNAUTHENTICATED=true, warns loudly, and serves MCP to anyone', async () => {
    const p = run({
      HOST: '0.0.0.0',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DEPLOYSTACK_ALLOW_UNAUTHENTICATED: 'true',
    });
    const base = await listening(p);
    const warning = p
      .output()
      .split('\n')
      .find((l) => l.includes('UNAUTHENTICATED'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 40 });
    expect(warning).toMatch(/HOST=0\.0\.0\.0/);
    const init = await postMcp(`${base}/mcp`, initializeRequest('anyone'));
    await init.arrayBuffer();
    expect(init.status).toBe(200);
    expect(await stop(p)).toBe(0);
  }, 60_000);

  it("starts with the Docker image's environment and refuses MCP clients until tokens are added", async () => {
    const image = dockerfileEnv();
    expect(image).toMatchObject({ HOST: '0.0.0.0', NODE_ENV: 'production' });
    expect(image.DEPLOYSTACK_AUTH).toBe('tokens');
    const tokensFile = image.DEPLOYSTACK_AUTH_TOKENS_FILE.replace(/^\/app\//, `${ROOT}/`);
    const p = run({
      ...image,
      PORT: '0',
      DEPLOYSTACK_MCP_CONFIG: image.DEPLOYSTACK_MCP_CONFIG.replace(/^\/app\//, `${ROOT}/`),
      DEPLOYSTACK_AUTH_TOKENS_FILE: tokensFile,
    });
    const base = await listening(p);
    expect(p.output()).toMatch(/lists no token/);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    const init = await postMcp(`${base}/mcp`, initializeRequest('anyone'));
    expect(init.status).toBe(401);
    expect(init.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="/);
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect(await stop(p)).toBe(0);
  }, 60_000);
});
