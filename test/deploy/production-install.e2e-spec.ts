// Invariant: the build output runs on production dependencies alone (what the Docker image ships):
// `npm ci --omit=dev`, boot, ready, status, an MCP session, and a clean exit on SIGTERM.
import {
  type ChildProcessWithoutNullStreams,
  execFile,
  execFileSync,
  spawn,
} from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '../support/satellite.js';
import { initializeRequest, postMcp } from '../support/mcp-http.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');
// npm (a Node script) must run on this Node, not on an older one earlier on PATH.
const PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);

let dir: string;
let child: ChildProcessWithoutNullStreams | undefined;
let output = '';

beforeAll(async () => {
  if (!existsSync(MAIN)) {
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build'],
        {
          cwd: ROOT,
          stdio: 'pipe',
          timeout: 120_000,
        },
      );
    } catch (err) {
      const e = err as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(
        `dist/main.js is missing and "nest build" failed; run "npm run build":\n${String(e.stdout ?? '')}${String(e.stderr ?? '')}`,
        { cause: err },
      );
    }
  }
  dir = mkdtempSync(join(tmpdir(), 'satellite-prod-install-'));
  for (const entry of ['package.json', 'package-lock.json', 'config', 'dist'])
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  await installProductionDependencies(dir);
}, 180_000);

const npm = (args: string[], cwd: string) =>
  promisify(execFile)(
    'npm',
    [...args, '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'],
    {
      cwd,
      env: { ...process.env, PATH, NODE_ENV: 'production' },
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );

type Lock = {
  packages: Record<
    string,
    { version?: string; optional?: boolean; optionalDependencies?: Record<string, string> }
  >;
};

/**
 * `npm ci --omit=dev`, as the image does. npm > 11.6.1 refuses a lockfile that lacks the optional
 * binaries of other platforms (npm/cli#8805), and a lock made where the registry serves only this
 * platform's binaries lacks them. Only in that case: `npm install --omit=dev` on the same lock,
 * and proof that it installed exactly the locked versions (no locked entry changed, nothing but
 * optional entries added).
 */
async function installProductionDependencies(cwd: string): Promise<void> {
  try {
    await npm(['ci'], cwd);
    return;
  } catch (err) {
    const text = `${String((err as { stderr?: string }).stderr ?? '')}`;
    const missing = [...text.matchAll(/Missing: (@?[^@\s]+)@\S* from lock file/g)].map((m) => m[1]);
    const lock = JSON.parse(readFileSync(join(cwd, 'package-lock.json'), 'utf8')) as Lock;
    const optional = new Set(
      Object.values(lock.packages).flatMap((p) => Object.keys(p.optionalDependencies ?? {})),
    );
    if (!/EUSAGE/.test(text) || missing.length === 0 || !missing.every((m) => optional.has(m)))
      throw err;
    console.warn(
      `npm ci refused the lockfile only for ${missing.length} optional platform packages it lacks (npm/cli#8805); installing with npm install --omit=dev on the same lock instead`,
    );
    await npm(['install'], cwd);
    const after = JSON.parse(readFileSync(join(cwd, 'package-lock.json'), 'utf8')) as Lock;
    const drift = Object.entries(lock.packages)
      .filter(([k, p]) => after.packages[k]?.version !== p.version)
      .map(([k]) => k);
    const added = Object.keys(after.packages).filter(
      (k) => !(k in lock.packages) && !after.packages[k].optional,
    );
    expect({ drift, added }).toEqual({ drift: [], added: [] });
  }
}

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((res) => child!.once('exit', res));
    child.kill('SIGKILL');
    await gone;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('production install (npm ci --omit=dev)', () => {
  it('installs no dev dependency, boots, serves status and MCP, and exits 0 on SIGTERM', async () => {
    // The copy really is production-only: the test runner and the compiler are not there.
    expect(
      ['jest', '@nestjs/cli', 'eslint', '@swc/core'].filter((p) =>
        existsSync(join(dir, 'node_modules', p)),
      ),
    ).toEqual([]);

    // PORT=0: the satellite binds an ephemeral port and prints it (no race for a "free" port).
    child = spawn(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: {
        PATH,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: '0',
        DEPLOYSTACK_MCP_CONFIG: join(dir, 'config', 'mcp-servers.empty.json'),
        DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
        DEPLOYSTACK_SANDBOX: 'none',
        DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((res) => child!.once('exit', (code) => res(code)));
    const base = await waitFor(
      'the "listening on" line',
      () => {
        if (child!.exitCode !== null)
          throw new Error(`the satellite exited with ${child!.exitCode}:\n${output}`);
        return /satellite listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      },
      30_000,
    );

    await waitFor(
      'GET /health/ready = 200',
      async () => {
        if (child!.exitCode !== null)
          throw new Error(`the satellite exited with ${child!.exitCode}:\n${output}`);
        return (
          (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200 || undefined
        );
      },
      30_000,
    );

    const status = await fetch(`${base}/`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ service: 'deploystack-satellite' });

    const init = await postMcp(`${base}/mcp`, initializeRequest('prod-install-test', 1));
    const body = await init.text();
    expect({ status: init.status, body: init.status === 200 ? '' : body }).toEqual({
      status: 200,
      body: '',
    });
    expect(init.headers.get('mcp-session-id')).toMatch(/^[\x21-\x7e]{16,}$/);
    // A JSON body or an SSE event carries the JSON-RPC result (after the stream's priming event,
    // whose data is empty).
    const message = JSON.parse(/^data: (.+)$/m.exec(body)?.[1] ?? body) as {
      id?: number;
      result?: { serverInfo?: { name?: string } };
    };
    expect(message).toMatchObject({ id: 1, result: { serverInfo: { name: expect.any(String) } } });

    child.kill('SIGTERM');
    const code = await exited;
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  }, 60_000);
});
