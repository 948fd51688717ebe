import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { waitFor } from './satellite.js';
import { ROOT } from './upstreams.js';

export const MAIN = resolve(ROOT, 'dist', 'main.js');

export interface SatelliteProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>`, the port the satellite bound (PORT=0). */
  readonly base: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/**
 * Runs the built satellite (`dist/main.js`) as its own process on an ephemeral loopback port,
 * and waits until it is ready. `env` is the whole environment besides PATH, PORT and HOST.
 */
export async function spawnSatellite(
  env: Record<string, string>,
  cwd = ROOT,
): Promise<SatelliteProcess> {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env, HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const alive = () => {
    if (child.exitCode !== null)
      throw new Error(`the satellite exited with ${child.exitCode}:\n${output}`);
  };
  const base = await waitFor(
    'the "listening on" line',
    () => {
      alive();
      return /satellite listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    },
    30_000,
  );
  await waitFor(
    'GET /health/ready = 200',
    async () => {
      alive();
      return (
        (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200 || undefined
      );
    },
    30_000,
  );
  return { child, base, output: () => output, exited };
}
