// `npm run bench:memory` keeps working: its smoke mode (MEMORY_SMOKE=1: 50 idle sessions, 10 s of
// load) completes and prints every stage with its figures. No thresholds: the figures of a shared
// CI machine say nothing; docs/benchmarks.md "Memory" has a full run.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runBenchSmoke } from '../support/bench-smoke.js';
import { ROOT } from '../support/upstreams.js';

const BENCH = resolve(ROOT, 'bench', 'memory', 'memory-bench.mjs');
const STAGES = ['idle (demo config, ready)', '+50 idle sessions', 'after 0.17 min load'];

/** The flags of scripts/node-flags.txt, as the bench and `npm start` read them. */
function productionFlags(): string[] {
  return readFileSync(resolve(ROOT, 'scripts', 'node-flags.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

describe('bench:memory (smoke)', () => {
  it('completes and prints RSS and heap for every stage', async () => {
    const { code, output } = await runBenchSmoke(BENCH, { MEMORY_SMOKE: '1' });
    expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });
    const lines = output.split('\n');
    expect(lines[0]).toContain(`satellite flags: ${productionFlags().join(' ') || '(none)'}`);
    for (const stage of STAGES) {
      const line = lines.find((l) => l.startsWith(stage));
      expect({ stage, line: line ?? 'missing' }).toEqual({
        stage,
        line: expect.stringMatching(/RSS +\d+\.\d MB +heap used +\d+\.\d \/ total +\d+\.\d MB/),
      });
    }
    expect(output).toMatch(/per session: -?\d+\.\d KB RSS/);
    expect(output).toMatch(/load: [1-9]\d* calls/);
  }, 180_000);
});

describe('production Node flags', () => {
  it('are the same in scripts/node-flags.txt, npm start and the container', () => {
    const flags = productionFlags();
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(flag).toMatch(/^--[a-z0-9-]+(=\S+)?$/);
    expect(readFileSync(resolve(ROOT, 'scripts', 'start.sh'), 'utf8')).toContain(
      'scripts/node-flags.txt',
    );
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(cmd ?? '[]')).toEqual(['node', ...flags, 'dist/main.js']);
  });
});
