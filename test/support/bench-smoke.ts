// Runs one of the `bench/` scripts in its smoke mode as a child process, for the specs that keep
// the benchmarks working (test/bench/): the built satellite must exist (`npm test` builds first),
// and the script's whole output comes back with its exit code. No figures are judged: those of a
// shared CI machine say nothing (docs/benchmarks.md).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from '@jest/globals';
import { MAIN } from './satellite-process.js';
import { ROOT } from './upstreams.js';

/** Runs `node <script>` from the repository root with only PATH and `env`; prints its output. */
export async function runBenchSmoke(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  expect({ built: existsSync(MAIN) }).toEqual({ built: true });
  const result = await new Promise<{ code: number | null; output: string }>((res) => {
    const child = spawn(process.execPath, [script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('close', (c) => res({ code: c, output: out }));
  });
  console.log(result.output);
  return result;
}
