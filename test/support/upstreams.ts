import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const pkg = (name: string) =>
  resolve(ROOT, 'node_modules', '@modelcontextprotocol', name, 'dist', 'index.js');
export const EVERYTHING = pkg('server-everything');
export const MEMORY = pkg('server-memory');
export const LOOPBACK_ONLY = resolve(ROOT, 'test', 'support', 'loopback-only.mjs');

/** A stdio entry of the standalone config that runs an npm MCP server with this Node. */
export function stdioEntry(
  script: string,
  args: string[] = [],
  extra: Record<string, unknown> = {},
) {
  return { command: process.execPath, args: [script, ...args], ...extra };
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export interface HttpPeer {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `server-everything` over HTTP (`streamableHttp` at /mcp or `sse` at /sse) on loopback,
 * on `port` when given (a URL handed out before the server exists), else on a free one.
 */
export async function startEverythingHttp(
  mode: 'streamableHttp' | 'sse',
  port?: number,
): Promise<HttpPeer> {
  port ??= await freePort();
  const child = spawn(process.execPath, ['--import', LOOPBACK_ONLY, EVERYTHING, mode], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`server-everything ${mode} did not start`)),
      // Generous: on a loaded 2-core machine a Node server can take well over 15 s to start.
      45_000,
    );
    const onData = (chunk: Buffer) => {
      if (/running on port|listening on port/i.test(chunk.toString())) {
        clearTimeout(timer);
        res();
      }
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);
    child.once('exit', (code) => rej(new Error(`server-everything ${mode} exited with ${code}`)));
  });
  const path = mode === 'sse' ? '/sse' : '/mcp';
  return {
    url: `http://127.0.0.1:${port}${path}`,
    child,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}
