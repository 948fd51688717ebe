// The conformance fixture's entry points, and a helper that runs its HTTP entry as a child process
// (the shape a gateway test needs: a stdio command for the config, or an HTTP upstream URL).
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ROOT } from './run-conformance.js';

const FIXTURE_DIR = resolve(ROOT, 'test', 'fixtures', 'conformance');
export const FIXTURE_STDIO_ENTRY = resolve(FIXTURE_DIR, 'stdio-entry.mjs');
export const FIXTURE_HTTP_ENTRY = resolve(FIXTURE_DIR, 'http-entry.mjs');

export interface FixtureHttp {
  /** `http://127.0.0.1:<port>/mcp` */
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the fixture wrote to stderr so far (errors only; it logs nothing else). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `http-entry.mjs` on a free loopback port and waits for its `listening <port>` line. */
export async function startFixtureHttp({ timeoutMs = 15_000 } = {}): Promise<FixtureHttp> {
  const child = spawn(process.execPath, [FIXTURE_HTTP_ENTRY, '0'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((res, rej) => {
    let stdout = '';
    const timer = setTimeout(
      () => rej(new Error(`fixture http-entry did not start: ${stderr}`)),
      timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^listening (\d+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        res(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`fixture http-entry exited with ${code}: ${stderr}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    child,
    stderr: () => stderr,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}
