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
  }, 300_000);
});
