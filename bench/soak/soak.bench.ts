// The soak (npm run bench:soak; docs/security.md, "Hostile clients and soak"): the built satellite
// as its own process (PORT=0, loopback, DEPLOYSTACK_AUTH=none, the demo stdio servers unsandboxed)
// under mixed traffic for SOAK_SECONDS (default 3600): client processes, one after another, open
// and close sessions, discover and execute, call direct endpoints, open and drop GET streams, use
// the legacy SSE transport, cancel calls, abandon sessions, and send some hostile requests. Every
// SOAK_SAMPLE_SECONDS it samples the satellite: RSS, JavaScript heap, open sessions and streams
// (/metrics), child processes and file descriptors (/proc), timers and handles (/metrics). At the
// end: a table and a verdict (RSS flat: the last third of the samples against the first, within
// ±10 %; the JavaScript heap's floor likewise; sessions and streams back to 0 once the clients
// are gone; the same child processes; file descriptors and timers back to their baseline; never a
// 5xx; no error-level log line; a clean shutdown that leaves no process behind). Exits 1 when a
// verdict fails. SOAK_JSON=<file> also writes the figures as JSON.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alive,
  descendants,
  privateDist,
  ROOT,
  type Snapshot,
  snapshot,
  spawnBuilt,
} from '../../test/support/process-probe.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 3600);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 4);
const CLIENT_SECONDS = Number(process.env.SOAK_CLIENT_SECONDS ?? Math.min(60, SECONDS));
const SAMPLE_SECONDS = Number(
  process.env.SOAK_SAMPLE_SECONDS ?? Math.min(60, Math.max(2, Math.round(SECONDS / 60))),
);
/** Abandoned sessions are closed by the idle sweep after this. */
const SESSION_IDLE_MS = Math.max(5_000, Math.min(20_000, SECONDS * 500));
/** Too short a run to judge a trend: RSS flatness is then reported but not judged. */
const JUDGE_TREND = SECONDS >= 120;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (x: number) => `${x.toFixed(1)}`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const dir = mkdtempSync(join(tmpdir(), 'satellite-soak-'));
const pkg = (name: string) =>
  join(ROOT, 'node_modules', '@modelcontextprotocol', name, 'dist', 'index.js');
const config = join(dir, 'mcp.json');
writeFileSync(
  config,
  JSON.stringify({
    mcpServers: {
      everything: { command: process.execPath, args: [pkg('server-everything'), 'stdio'] },
      memory: {
        command: process.execPath,
        args: [pkg('server-memory')],
        env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
      },
    },
  }),
);

const sat = await spawnBuilt(
  {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DEPLOYSTACK_MCP_CONFIG: config,
    DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
    DEPLOYSTACK_SANDBOX: 'none',
    DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
    DEPLOYSTACK_AUTH: 'none',
    DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
    DEPLOYSTACK_SESSION_IDLE_TIMEOUT_MS: String(SESSION_IDLE_MS),
    // The servers stay up, so the child processes can be compared with the baseline.
    DEPLOYSTACK_PROCESS_IDLE_TIMEOUT_MS: '0',
  },
  privateDist(),
);
let crashed: number | null | undefined;
void sat.exited.then((code) => (crashed ??= code));

// Baseline: servers online, tools listed, a moment of quiet.
for (let i = 0; i < 600; i++) {
  const s = (await (await fetch(`${sat.base}/`)).json()) as { servers: { online: number } };
  if (s.servers.online === 2) break;
  await sleep(100);
}
await sleep(3_000);
const baseline = await snapshot(sat);
console.log(
  `soak: ${SECONDS} s of mixed traffic from ${CLIENTS} client processes at a time (each ` +
    `${CLIENT_SECONDS} s), sampled every ${SAMPLE_SECONDS} s; satellite pid ${sat.pid} at ${sat.base}`,
);

interface ClientSummary {
  statuses: Record<string, number>;
  scenarios: Record<string, number>;
  errors: Record<string, number>;
  notes: Record<string, number>;
}
const totals: ClientSummary = { statuses: {}, scenarios: {}, errors: {}, notes: {} };
let clientsRun = 0;
let clientFailures = 0;
const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

const started = Date.now();
const deadline = started + SECONDS * 1000;

function runClient(seconds: number): Promise<void> {
  clientsRun++;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--experimental-strip-types',
        '--no-warnings',
        join(ROOT, 'bench', 'soak', 'soak-client.ts'),
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          SOAK_BASE: sat.base,
          SOAK_CLIENT_SECONDS: String(seconds),
          SOAK_PACE_MS: process.env.SOAK_PACE_MS ?? '20',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    // A client stops by itself at its deadline; one that does not within a minute more is killed.
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    child.once('exit', (code) => {
      clearTimeout(killer);
      try {
        const summary = JSON.parse(out.trim().split('\n').at(-1) ?? '') as ClientSummary;
        add(totals.statuses, summary.statuses);
        add(totals.scenarios, summary.scenarios);
        add(totals.errors, summary.errors);
        add(totals.notes, summary.notes);
      } catch {
        clientFailures++;
        console.error(`a client exited with ${code} and no summary:\n${err}`);
      }
      resolve();
    });
  });
}

// Clients: CLIENTS at a time, each replaced when it ends, until the deadline.
const lanes = Array.from({ length: CLIENTS }, async (_, lane) => {
  await sleep((lane * 1000 * Math.min(CLIENT_SECONDS, 10)) / CLIENTS); // staggered
  while (Date.now() < deadline - 1000 && crashed === undefined)
    await runClient(Math.min(CLIENT_SECONDS, Math.ceil((deadline - Date.now()) / 1000)));
});

// Samples while the traffic runs.
const samples: Array<{ t: number; s: Snapshot }> = [];
const sampler = (async () => {
  while (Date.now() < deadline && crashed === undefined) {
    await sleep(Math.min(SAMPLE_SECONDS * 1000, Math.max(0, deadline - Date.now())));
    if (crashed !== undefined) break;
    samples.push({ t: (Date.now() - started) / 1000, s: await snapshot(sat) });
  }
})();
await Promise.all([...lanes, sampler]);
const trafficSeconds = (Date.now() - started) / 1000;

// The clients are gone: sessions (abandoned ones by the idle sweep) and streams must go to 0.
let after = await snapshot(sat);
const settleStarted = Date.now();
while ((after.sessions > 0 || after.streams > 0) && Date.now() - settleStarted < 120_000) {
  await sleep(1_000);
  after = await snapshot(sat);
}
const settleSeconds = (Date.now() - settleStarted) / 1000;
await sleep(3_000);
after = await snapshot(sat);

// A clean shutdown that leaves no process behind.
const children = descendants(sat.pid);
const crashedBeforeStop = crashed;
const exitCode = crashed === undefined ? await sat.stop() : crashed;
await sleep(500);
const orphans = children.filter(alive);

// The table.
const row = (name: string, s: Snapshot) =>
  `${name.padStart(8)}  ${mb(s.rssMb).padStart(7)}  ${mb(s.heapUsedMb).padStart(6)}  ` +
  `${String(s.sessions).padStart(8)}  ${String(s.streams).padStart(7)}  ` +
  `${String(s.children).padStart(8)}  ${String(s.fds).padStart(4)}  ${String(s.timers).padStart(6)}  ` +
  `${String(s.handles).padStart(7)}  ${String(s.requests).padStart(9)}  ${s.lagMaxMs.toFixed(0).padStart(6)}`;
console.log(
  [
    '       t   RSS MB  heap MB  sessions  streams  children   fds  timers  handles   requests  lag ms',
    row('base', baseline),
    ...samples.map(({ t, s }) => row(`${t.toFixed(0)} s`, s)),
    row('after', after),
  ].join('\n'),
);

const third = Math.max(1, Math.floor(samples.length / 3));
const firstRss = mean(samples.slice(0, third).map((x) => x.s.rssMb));
const lastRss = mean(samples.slice(-third).map((x) => x.s.rssMb));
const rssChange = (lastRss - firstRss) / firstRss;
// The JavaScript heap's floor (its lowest use, i.e. after a collection) in each third: what a leak
// of JavaScript objects raises, whatever V8 and malloc keep committed.
const firstFloor = Math.min(...samples.slice(0, third).map((x) => x.s.heapUsedMb));
const lastFloor = Math.min(...samples.slice(-third).map((x) => x.s.heapUsedMb));
const floorChange = (lastFloor - firstFloor) / firstFloor;
const fivexx = Object.entries(totals.statuses)
  .filter(([status]) => Number(status) >= 500)
  .reduce((sum, [, n]) => sum + n, 0);
const requests = after.requests;

const verdicts: Array<[string, boolean | 'n/a', string]> = [
  [
    'RSS flat',
    JUDGE_TREND && samples.length >= 3 ? Math.abs(rssChange) <= 0.1 : 'n/a',
    `last third ${mb(lastRss)} MB vs first third ${mb(firstRss)} MB (${(rssChange * 100).toFixed(1)} %, limit ±10 %)`,
  ],
  [
    'JavaScript heap floor flat',
    JUDGE_TREND && samples.length >= 3 ? Math.abs(floorChange) <= 0.1 : 'n/a',
    `lowest heap used in the last third ${mb(lastFloor)} MB vs the first ${mb(firstFloor)} MB ` +
      `(${(floorChange * 100).toFixed(1)} %, limit ±10 %)`,
  ],
  [
    'sessions back to 0',
    after.sessions === 0,
    `${after.sessions} open ${settleSeconds.toFixed(0)} s after the last client (idle sweep ${SESSION_IDLE_MS / 1000} s)`,
  ],
  ['streams back to 0', after.streams === 0, `${after.streams} open`],
  [
    'child processes unchanged',
    after.children === baseline.children,
    `${after.children} (baseline ${baseline.children})`,
  ],
  [
    'file descriptors back to baseline',
    after.fds <= baseline.fds + 2,
    `${after.fds} (baseline ${baseline.fds}, +2 allowed)`,
  ],
  [
    'timers back to baseline',
    after.timers <= baseline.timers + 2,
    `${after.timers} (baseline ${baseline.timers}, +2 allowed)`,
  ],
  ['never a 5xx', fivexx === 0, `${fivexx} of the statuses the clients saw`],
  [
    'no crash, clean shutdown',
    crashedBeforeStop === undefined && exitCode === 0 && orphans.length === 0,
    `exit code ${exitCode}, ${orphans.length} process(es) left behind`,
  ],
  [
    'no error-level log line',
    sat.errors.count === 0,
    `${sat.errors.count}${sat.errors.count ? `, the first: ${sat.errors.first[0].slice(0, 300)}` : ''}`,
  ],
  [
    'clients completed',
    clientFailures === 0,
    `${clientsRun} client processes, ${clientFailures} without a summary`,
  ],
];
console.log(
  [
    `traffic: ${trafficSeconds.toFixed(0)} s, ${requests} HTTP requests counted by the satellite ` +
      `(${(requests / trafficSeconds).toFixed(1)}/s)`,
    `scenarios: ${JSON.stringify(totals.scenarios)}`,
    `statuses: ${JSON.stringify(totals.statuses)}`,
    `notes: ${JSON.stringify(totals.notes)}`,
    `client errors: ${JSON.stringify(totals.errors)}`,
    'verdict:',
    ...verdicts.map(
      ([name, ok, detail]) =>
        `  ${ok === 'n/a' ? 'n/a ' : ok ? 'ok  ' : 'FAIL'}  ${name}: ${detail}`,
    ),
  ].join('\n'),
);
if (process.env.SOAK_JSON)
  writeFileSync(
    process.env.SOAK_JSON,
    JSON.stringify(
      {
        seconds: SECONDS,
        baseline,
        samples,
        after,
        rssChange,
        floorChange,
        exitCode,
        orphans: orphans.length,
        crashed: crashedBeforeStop ?? null,
        fivexx,
        errorLines: sat.errors,
        clientsRun,
        clientFailures,
        totals,
        verdicts: Object.fromEntries(verdicts.map(([name, ok]) => [name, ok])),
      },
      null,
      2,
    ),
  );
process.exit(verdicts.every(([, ok]) => ok !== false) ? 0 : 1);
