// What recording a tool call's usage costs on the call's path (UsageService.record), what a flush
// of the buffered rows costs, and why tokens returned are estimated from bytes: exact counting
// next to the estimate, and the bytes per token of real-looking results. Runs the built code
// (`npx nest build` first): bash scripts/with-node.sh node bench/usage/record-bench.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const dist = resolve(import.meta.dirname, '..', '..', 'dist');
const load = (path) => import(join(dist, path));
const { UsageService } = await load('usage/usage.service.js');
const { UsageStore } = await load('usage/usage.store.js');
const { UsageMetrics } = await load('usage/usage.metrics.js');
const { EventBusService } = await load('events/event-bus.service.js');
const { MetricsService } = await load('metrics/metrics.service.js');
const { Clock } = await load('events/clock.js');
const { countTokens } = await load('discovery/token-counter.js');

const CALLS = Number(process.env.USAGE_BENCH_CALLS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'usage-bench-'));
const config = { version: 'bench' };
const store = UsageStore.open({ path: join(dir, 'usage.sqlite') });
const usage = new UsageService(
  config,
  store,
  new EventBusService(),
  new UsageMetrics(new MetricsService(config)),
  new Clock(),
);

const small = { content: [{ type: 'text', text: 'Echo: hello from the bench' }] };
const rows = Array.from({ length: 40 }, (_, i) => ({
  id: i,
  title: `Issue ${i}: the satellite drops a progress notification`,
  state: i % 3 ? 'open' : 'closed',
  labels: ['bug', 'transport'],
  created_at: '2026-12-01T10:00:00Z',
}));
const large = { content: [{ type: 'text', text: JSON.stringify(rows, null, 2) }] };
const prose = {
  content: [
    {
      type: 'text',
      text: 'The gateway forwards each call to the server that owns the tool and returns the answer verbatim. '.repeat(
        40,
      ),
    },
  ],
};

function timeRecord(result, calls) {
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    usage.record({
      serverId: `srv-${i % 5}`,
      server: `server-${i % 5}`,
      team: 'default',
      tool: `tool-${i % 20}`,
      client: `client-${i % 3}`,
      outcome: i % 50 ? 'ok' : 'error',
      startedAt: Date.now(),
      durationMs: (i % 300) + 0.5,
      result,
    });
  }
  return ((performance.now() - started) * 1000) / calls; // µs per call
}

function timeTokens(result, runs) {
  const text = JSON.stringify(result);
  const started = performance.now();
  for (let i = 0; i < runs; i++) countTokens(text);
  return ((performance.now() - started) * 1000) / runs;
}

timeRecord(small, 20_000); // warm-up
usage.flush();
const lines = [`usage bench: node ${process.version}, ${CALLS} calls per result size`];
for (const [name, result, tokenRuns] of [
  ['small', small, 20_000],
  ['json', large, 500],
  ['prose', prose, 500],
]) {
  const bytes = Buffer.byteLength(JSON.stringify(result));
  const perCall = timeRecord(result, CALLS);
  const flushStart = performance.now();
  usage.flush();
  const flushMs = performance.now() - flushStart;
  const exact = countTokens(JSON.stringify(result));
  lines.push(
    `${name.padEnd(6)} ${String(bytes).padStart(6)} B | record ${perCall.toFixed(2)} µs/call | ` +
      `flush of 100 rows ${flushMs.toFixed(1)} ms | exact count ${timeTokens(result, tokenRuns).toFixed(1)} µs ` +
      `(${exact} tokens, ${(bytes / exact).toFixed(2)} B/token; estimate ${Math.ceil(bytes / 4)})`,
  );
}
const report = performance.now();
const answer = usage.report({ since: 0 });
lines.push(
  `report over ${answer.tools.length} tools: ${(performance.now() - report).toFixed(1)} ms; ` +
    `calls counted ${answer.tools.reduce((n, t) => n + t.calls, 0)}`,
);
usage.onApplicationShutdown();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${lines.join('\n')}\n`);
