// A 20-second run of the soak (bench/soak/soak.bench.ts; npm run bench:soak runs it for an hour):
// mixed traffic from client processes against the built satellite. It prints its figures; this
// asserts only that it completes and that nothing leaked in the counts: sessions and streams back
// to 0 once the clients are gone, the same child processes, no 5xx, a clean shutdown.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { Snapshot } from '../support/process-probe.js';
import { ROOT } from '../support/upstreams.js';

interface SoakFigures {
  baseline: Snapshot;
  after: Snapshot;
  fivexx: number;
  exitCode: number | null;
  orphans: number;
  crashed: number | null;
  clientsRun: number;
  clientFailures: number;
}

describe('soak (20 s smoke)', () => {
  it('completes, and the satellite ends with no session, stream or extra process', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'satellite-soak-smoke-')), 'soak.json');
    const child = spawn(
      process.execPath,
      [
        '--experimental-strip-types',
        '--no-warnings',
        '--import',
        './bench/search/ts-resolve.ts',
        'bench/soak/soak.bench.ts',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, SOAK_SECONDS: '20', SOAK_JSON: json },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((res) => child.once('exit', res));
    console.log(output);
    expect(code).not.toBeNull();
    const figures = JSON.parse(readFileSync(json, 'utf8')) as SoakFigures;
    expect(figures.clientsRun).toBeGreaterThan(0);
    expect(figures.clientFailures).toBe(0);
    expect(figures.after.sessions).toBe(0);
    expect(figures.after.streams).toBe(0);
    expect(figures.after.children).toBe(figures.baseline.children);
    expect(figures.fivexx).toBe(0);
    expect(figures.crashed).toBeNull();
    expect(figures.exitCode).toBe(0);
    expect(figures.orphans).toBe(0);
  }, 240_000);
});
