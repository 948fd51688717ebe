// Memory benchmark (npm run bench:memory): the satellite's RSS and V8 heap, idle, with idle
// sessions, and under sustained load, on the built-in demo config (what `npm start` runs).
//
// The satellite is the built `dist/main.js`, its own process, started with the production Node
// flags (scripts/node-flags.txt, what `npm start` and the container use; MEMORY_NODE_FLAGS
// replaces them, "" for none), NODE_ENV=production, DEPLOYSTACK_SANDBOX=none (the demo's stdio
// children are not counted: only the satellite's own process is measured).
// Stages, one process:
//   idle       ready (the demo servers discovered), 5 s settled
//   sessions   MEMORY_SESSIONS (default 1000) idle /mcp sessions (initialize + initialized, no GET
//              stream), kept open for the rest of the run
//   load       MEMORY_LOAD_MINUTES (default 5) of execute_mcp_tool (everything-echo) from
//              MEMORY_LOAD_CLIENTS (default 8) SDK clients back to back; RSS every minute
// Heap figures come from the satellite's own /metrics (prom-client's default Node metrics).
// MEMORY_SNAPSHOT_DIR=<dir>: a heap snapshot (SIGUSR2) at each stage, written into <dir>.
// MEMORY_SATELLITE_ENV="K=V …": more environment for the satellite (e.g. MALLOC_ARENA_MAX=2).
// MEMORY_MAIN=<path>: another build's main.js. MEMORY_SMOKE=1: 50 sessions, 10 s of load.
// Besides memory it prints the CPU time the satellite spent per call under load (from
// /proc/<pid>/stat), the figure busy neighbours move least, to weigh a flag's cost.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { cpuMs, openIdleSessions } from '../support/bench-tools.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SMOKE = process.env.MEMORY_SMOKE === '1';
const SESSIONS = Number(process.env.MEMORY_SESSIONS ?? (SMOKE ? 50 : 1000));
const LOAD_MINUTES = Number(process.env.MEMORY_LOAD_MINUTES ?? (SMOKE ? 10 / 60 : 5));
const LOAD_CLIENTS = Number(process.env.MEMORY_LOAD_CLIENTS ?? 8);
const MAIN = resolve(process.env.MEMORY_MAIN ?? join(ROOT, 'dist', 'main.js'));
const SNAPSHOT_DIR = process.env.MEMORY_SNAPSHOT_DIR
  ? resolve(process.env.MEMORY_SNAPSHOT_DIR)
  : undefined;
/** The production flags, one per line (`#` starts a comment), unless MEMORY_NODE_FLAGS says otherwise. */
const FLAGS =
  process.env.MEMORY_NODE_FLAGS !== undefined
    ? process.env.MEMORY_NODE_FLAGS.split(/\s+/).filter(Boolean)
    : readFileSync(join(ROOT, 'scripts', 'node-flags.txt'), 'utf8')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean);

const EXTRA_ENV = Object.fromEntries(
  (process.env.MEMORY_SATELLITE_ENV ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
const rssBytes = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0) * 1024;

let child;
const dir = mkdtempSync(join(tmpdir(), 'memory-bench-'));
const cleanup = () => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

async function startSatellite() {
  child = spawn(
    process.execPath,
    [...FLAGS, ...(SNAPSHOT_DIR ? ['--heapsnapshot-signal=SIGUSR2'] : []), MAIN],
    {
      cwd: SNAPSHOT_DIR ?? ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
        DEPLOYSTACK_SANDBOX: 'none',
        DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
        DEPLOYSTACK_MAX_SESSIONS: String(SESSIONS + 4 * LOAD_CLIENTS + 100),
        ...EXTRA_ENV,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const port = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`the satellite did not start:\n${out}`)), 120_000);
    const onData = (c) => {
      if (out === null) return;
      out += c;
      const m = /satellite listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        out = null;
        res(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`the satellite exited with ${code}:\n${out}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  // Ready: the first apply has settled, each demo server discovered (or failed).
  while (
    !(await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  )
    await sleep(250);
  return base;
}

/** RSS now, then the heap as the satellite's /metrics reports it. */
async function sample(base, stage) {
  const rss = rssBytes(child.pid);
  const text = await (await fetch(`${base}/metrics`)).text();
  const metric = (name) => Number(new RegExp(`^satellite_${name} (\\S+)$`, 'm').exec(text)?.[1]);
  if (SNAPSHOT_DIR) {
    const before = new Set(readdirSync(SNAPSHOT_DIR));
    child.kill('SIGUSR2');
    // Written in one go after the file appears: done once its size stops changing.
    let file;
    let size = -1;
    for (let i = 0; i < 1200; i++) {
      await sleep(1000);
      file ??= readdirSync(SNAPSHOT_DIR).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
      if (!file) continue;
      const now = statSync(join(SNAPSHOT_DIR, file)).size;
      if (now > 0 && now === size) break;
      size = now;
    }
    console.log(`  heap snapshot (${stage}): ${file ? join(SNAPSHOT_DIR, file) : 'not written'}`);
  }
  return {
    rss,
    heapUsed: metric('nodejs_heap_size_used_bytes'),
    heapTotal: metric('nodejs_heap_size_total_bytes'),
    external: metric('nodejs_external_memory_bytes'),
  };
}

const line = (label, s) =>
  `${label.padEnd(34)} RSS ${mb(s.rss).padStart(6)} MB   heap used ${mb(s.heapUsed).padStart(6)} / total ${mb(s.heapTotal).padStart(6)} MB   external ${mb(s.external).padStart(5)} MB`;

async function load(url, minutes, onMinute) {
  const clients = await Promise.all(
    Array.from({ length: LOAD_CLIENTS }, async () => {
      const client = new Client({ name: 'memory-bench', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      return client;
    }),
  );
  const until = Date.now() + minutes * 60_000;
  let calls = 0;
  let minute = 0;
  const timer = setInterval(() => onMinute(++minute, calls), 60_000);
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < until) {
          const r = await client.request(
            {
              method: 'tools/call',
              params: {
                name: 'execute_mcp_tool',
                arguments: { tool_path: 'everything-echo', arguments: { message: `m${calls}` } },
              },
            },
            CallToolResultSchema,
          );
          if (r.isError || !JSON.stringify(r.content).includes('Echo:'))
            throw new Error(`unexpected result: ${JSON.stringify(r)}`);
          calls++;
        }
      }),
    );
    // The last minute's sample, when the load ended before its timer fired.
    if (minute < Math.floor(minutes)) onMinute(++minute, calls);
  } finally {
    clearInterval(timer);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
  return calls;
}

async function main() {
  if (SNAPSHOT_DIR) mkdirSync(SNAPSHOT_DIR, { recursive: true });
  console.log(
    `memory bench: ${new Date().toISOString()}, node ${process.version}, satellite flags: ${FLAGS.join(' ') || '(none)'}` +
      `${process.env.MEMORY_SATELLITE_ENV?.trim() ? `, env ${process.env.MEMORY_SATELLITE_ENV.trim()}` : ''}; ` +
      `${SESSIONS} idle sessions; load ${+LOAD_MINUTES.toFixed(2)} min × ${LOAD_CLIENTS} clients`,
  );
  const base = await startSatellite();
  await sleep(5000);
  const idle = await sample(base, 'idle');
  console.log(line('idle (demo config, ready)', idle));

  await openIdleSessions(`${base}/mcp`, SESSIONS);
  await sleep(2000);
  const sessions = await sample(base, 'sessions');
  console.log(line(`+${SESSIONS} idle sessions`, sessions));
  console.log(
    `  per session: ${((sessions.rss - idle.rss) / SESSIONS / 1024).toFixed(1)} KB RSS, ${((sessions.heapUsed - idle.heapUsed) / SESSIONS / 1024).toFixed(1)} KB heap used; +${mb(sessions.rss - idle.rss)} MB RSS in all`,
  );

  if (LOAD_MINUTES > 0) {
    const perMinute = [];
    let last = 0;
    const cpuBefore = cpuMs(child.pid);
    const calls = await load(`${base}/mcp`, LOAD_MINUTES, (minute, count) => {
      perMinute.push({ rss: rssBytes(child.pid), calls: count - last });
      last = count;
    });
    const cpuPerCall = ((cpuMs(child.pid) - cpuBefore) * 1000) / calls;
    await sleep(1000);
    const after = await sample(base, 'load');
    console.log(line(`after ${+LOAD_MINUTES.toFixed(2)} min load`, after));
    console.log(
      `  load: ${calls} calls, ${(calls / LOAD_MINUTES / 60).toFixed(0)} calls/s, ${cpuPerCall.toFixed(0)} µs CPU per call; RSS per minute ${perMinute.map((m) => mb(m.rss)).join(' ')} MB; calls per minute ${perMinute.map((m) => m.calls).join(' ')}`,
    );
    if (perMinute.length >= 2) {
      const first = perMinute[0].rss;
      const end = perMinute[perMinute.length - 1].rss;
      console.log(
        `  minute 1 → minute ${perMinute.length}: ${(((end - first) / first) * 100).toFixed(1)} %`,
      );
    }
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
