// `npm run bench:transport` keeps working: its smoke mode (BENCH_SMOKE=1: ~1 s per system, 50 idle
// sessions, no load phase) completes and prints every row. No thresholds: the figures of a shared
// CI machine say nothing; docs/benchmarks.md has a full run.
import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { runBenchSmoke } from '../support/bench-smoke.js';
import { ROOT } from '../support/upstreams.js';

const BENCH = resolve(ROOT, 'bench', 'transport', 'transport-bench.mjs');
const ROWS = [
  'floor: Fastify JSON-RPC, no SDK',
  'upstream alone: server-everything',
  'naive SDK gateway: execute',
  'satellite /mcp: execute_mcp_tool',
  'satellite /i/everything/mcp: echo',
];
const RSS_ROWS = ['floor (Fastify JSON-RPC)', 'naive SDK gateway', 'satellite (LOG_LEVEL'];

describe('bench:transport (smoke)', () => {
  it('completes and prints every row', async () => {
    const { code, output } = await runBenchSmoke(BENCH, { BENCH_SMOKE: '1' });
    expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });
    const lines = output.split('\n');
    for (const row of [...ROWS, ...RSS_ROWS]) {
      const line = lines.find((l) => l.startsWith(row));
      // calls/s and p50 are numbers on a throughput row; RSS figures on a memory row.
      expect({ row, line: line ?? 'missing' }).toEqual({
        row,
        line: expect.stringMatching(/\d+\.\d/),
      });
    }
    // Per table: the CPU model checked against each gateway row, and the bound the satellite could
    // reach with its upstream, both figures.
    for (const row of ROWS.slice(1).filter((r) => !r.startsWith('upstream alone'))) {
      const model = lines.filter((l) => l.startsWith(`  ${row}`));
      expect({ row, model }).toEqual({
        row,
        model: [
          expect.stringMatching(/predicted \d+\.\d+ × floor.*measured \d+\.\d+ ×/),
          expect.stringMatching(/predicted \d+\.\d+ × floor.*measured \d+\.\d+ ×/),
        ],
      });
    }
    const bounds = lines.filter((l) => l.includes('best reachable with this upstream'));
    expect(bounds).toEqual([
      expect.stringMatching(/\/mcp \d+\.\d+ × floor.*direct \d+\.\d+ × floor/),
      expect.stringMatching(/\/mcp \d+\.\d+ × floor.*direct \d+\.\d+ × floor/),
    ]);
  }, 300_000);
});
