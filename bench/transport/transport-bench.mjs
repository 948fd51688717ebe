// Transport benchmark (npm run bench:transport): what a tools/call costs through the satellite,
// next to what it costs with no gateway at all and through a gateway made of the SDK alone, in one
// run, with the same client and the same upstream.
//
// Client: the SDK client over Streamable HTTP, BENCH_SESSIONS sessions (default 8) calling back to
// back for BENCH_SECONDS per system (default 8, in BENCH_ROUNDS turns; a warm-up is not counted).
// Upstream (BENCH_UPSTREAM, default both, one table each, stdio first): server-everything's `echo`
//   stdio  spawned by each gateway over stdio (the issue's setup; the satellite's in its sandbox,
//          production default `auto`); its CPU is that of the gateway's child processes
//   http   over Streamable HTTP on loopback, one process the gateways share
// Systems, each its own process:
//   floor          floor-server.mjs: plain Fastify JSON-RPC, no SDK, no upstream (the floor)
//   upstream       server-everything itself, called directly (no gateway; http table only)
//   naive gateway  naive-gateway.mjs: the SDK's transport + the two meta-tools, execute_mcp_tool
//   satellite /mcp        dist/main.js, execute_mcp_tool (PORT=0, production defaults)
//   satellite /i/…/mcp    dist/main.js, the direct endpoint, tools/call echo
// Prints calls/s, p50, p99, the ratios to the floor, and the CPU time the system's own process
// (and the upstream, and the bench's own client) spent per call, the figure a busy neighbour moves
// least; the bound a CPU-bound run on the machine's cores allows each gateway (see `reachable`) and
// how well that model predicts the measured ratios; then the RSS of the floor, the naive
// gateway and the satellite (first upstream kind only): idle (fresh), with 1,000 idle sessions (initialize + initialized, no
// GET stream; opened before the calls and kept open), and after BENCH_LOAD_MINUTES (default 5) of
// load (BENCH_SESSIONS sessions; the satellite's through /mcp).
// BENCH_SMOKE=1: ~1 s per system, 50 idle sessions, no load phase (CI runs it, no thresholds).
// BENCH_PROFILE=<dir>: the satellite runs with --cpu-prof into <dir>/<upstream kind> (see
// profile-summary.mjs).
// BENCH_SATELLITE_MAIN=<path>: another build's main.js instead of dist/main.js.
// BENCH_COMPARE_MAIN=<path>: a second build measured in the same run, rows "satellite B" (A/B).
// BENCH_ROUNDS: the systems take turns in this many slices of BENCH_SECONDS (default 4).
// The satellite runs with the production Node flags (scripts/node-flags.txt; BENCH_SATELLITE_NODE_FLAGS
// to override) and its sandbox's production limits per stdio server, 0.1 core and 100 MB
// (BENCH_SATELLITE_LIMIT_CPU, BENCH_SATELLITE_LIMIT_MEMORY_MB to override).
// Besides the figures it prints the CPU model (calls/s from the CPU the client, the system and its
// upstream spend per call, or from the upstream's CPU quota) against the measured ratios, and the
// best ratio to the floor each gateway could reach with its upstream as measured.
// The machines are shared and noisy: read the ratios, not the absolute figures.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { cpuMs, freePort, openIdleSessions, rssMb } from '../support/bench-tools.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');
const HERE = import.meta.dirname;
const EVERYTHING = resolve(
  ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'server-everything',
  'dist',
  'index.js',
);
const LOOPBACK_ONLY = resolve(ROOT, 'test', 'support', 'loopback-only.mjs');
const SMOKE = process.env.BENCH_SMOKE === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (SMOKE ? 1 : 8));
const WARMUP_S = SMOKE ? 0.2 : 1;
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 8);
const IDLE_SESSIONS = Number(process.env.BENCH_IDLE_SESSIONS ?? (SMOKE ? 50 : 1000));
const LOAD_MINUTES = SMOKE ? 0 : Number(process.env.BENCH_LOAD_MINUTES ?? 5);
const PROFILE_DIR = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : undefined;
/** Another build of the satellite to measure (A/B runs); dist/main.js by default. */
const SATELLITE_MAIN = resolve(process.env.BENCH_SATELLITE_MAIN ?? join(ROOT, 'dist', 'main.js'));
/** A second build measured beside the first, in the same run (rows "satellite B"). */
const COMPARE_MAIN = process.env.BENCH_COMPARE_MAIN
  ? resolve(process.env.BENCH_COMPARE_MAIN)
  : undefined;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (SMOKE ? 1 : 4));
/**
 * The satellite's Node flags: the production ones (scripts/node-flags.txt, what `npm start` and the
 * container use), unless BENCH_SATELLITE_NODE_FLAGS says otherwise ("" for none).
 */
const SATELLITE_FLAGS =
  process.env.BENCH_SATELLITE_NODE_FLAGS !== undefined
    ? process.env.BENCH_SATELLITE_NODE_FLAGS.split(/\s+/).filter(Boolean)
    : readFileSync(join(ROOT, 'scripts', 'node-flags.txt'), 'utf8')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean);
/**
 * The CPU cores the satellite's sandbox gives each stdio server (DEPLOYSTACK_LIMIT_CPU, a cgroup
 * quota per 100 ms): the production default 0.1 unless BENCH_SATELLITE_LIMIT_CPU says otherwise.
 * The naive gateway's upstream has no such cap.
 */
const SATELLITE_LIMIT_CPU = Number(process.env.BENCH_SATELLITE_LIMIT_CPU ?? 0.1);
if (!(SATELLITE_LIMIT_CPU >= 0.01)) {
  console.error(`BENCH_SATELLITE_LIMIT_CPU must be a number of cores >= 0.01`);
  process.exit(2);
}
/**
 * The memory (MB) the sandbox gives each stdio server (DEPLOYSTACK_LIMIT_MEMORY_MB): the
 * production default 100 unless BENCH_SATELLITE_LIMIT_MEMORY_MB says otherwise (an upstream given
 * more CPU than the default allocates faster and may need more).
 */
const SATELLITE_LIMIT_MEMORY_MB = Number(process.env.BENCH_SATELLITE_LIMIT_MEMORY_MB ?? 100);
if (!(SATELLITE_LIMIT_MEMORY_MB >= 8)) {
  console.error(`BENCH_SATELLITE_LIMIT_MEMORY_MB must be a number of MB >= 8`);
  process.exit(2);
}
/** Which upstream tables, in order (the first also gets the memory figures): stdio, http or both. */
const UPSTREAMS = { stdio: ['stdio'], http: ['http'], both: ['stdio', 'http'] }[
  process.env.BENCH_UPSTREAM ?? 'both'
];
if (!UPSTREAMS) {
  console.error(`BENCH_UPSTREAM must be stdio, http or both, not "${process.env.BENCH_UPSTREAM}"`);
  process.exit(2);
}

const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Spawns a node process and resolves with it once `pattern` (capturing the port) shows. */
function start(label, args, env, pattern, stream = 'stdout') {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`${label} did not start:\n${out}`)), 30_000);
    child.bootLog = '';
    const onData = (c) => {
      // The first 64 KB are kept (buffered log lines may come after the line matched).
      if (child.bootLog.length < 65_536) child.bootLog += c;
      if (out === null) return; // started: the rest is discarded
      out += c;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        out = null;
        res({ child, port: Number(m[1]) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', stream === 'stderr' ? onData : (c) => out !== null && (out += c));
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${label} exited with ${code}:\n${out ?? ''}`));
    });
  });
}

async function connect(url) {
  const client = new Client({ name: 'transport-bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** SESSIONS connected SDK clients of `url`. */
function openClients(url) {
  return Promise.all(Array.from({ length: SESSIONS }, () => connect(url)));
}

function closeClients(clients) {
  return Promise.all(clients.map((c) => c.close().catch(() => undefined)));
}

/** Each client calls `call` back to back for `seconds`; the latencies (ms) go into `into`. */
async function measure(clients, call, seconds, into) {
  const loop = async (client, until) => {
    let i = 0;
    while (performance.now() < until) {
      const t0 = performance.now();
      const r = await call(client, i++);
      const ms = performance.now() - t0;
      if (r.isError || !JSON.stringify(r.content).includes('Echo:'))
        throw new Error(`unexpected result: ${JSON.stringify(r)}`);
      into?.push(ms);
    }
  };
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(clients.map((c) => loop(c, until)));
  return (performance.now() - t0) / 1000;
}

/** SESSIONS fresh clients calling `call` back to back for `seconds` (after a warm-up). */
async function drive(url, call, seconds) {
  const clients = await openClients(url);
  try {
    await measure(clients, call, WARMUP_S);
    const latencies = [];
    const elapsed = await measure(clients, call, seconds, latencies);
    return { latencies, elapsed };
  } finally {
    await closeClients(clients);
  }
}

const echo = (client, i) =>
  client.request(
    { method: 'tools/call', params: { name: 'echo', arguments: { message: `m${i}` } } },
    CallToolResultSchema,
  );
const execute = (client, i) =>
  client.request(
    {
      method: 'tools/call',
      params: {
        name: 'execute_mcp_tool',
        arguments: { tool_path: 'everything-echo', arguments: { message: `m${i}` } },
      },
    },
    CallToolResultSchema,
  );

function fmt(n, digits = 1) {
  return n.toFixed(digits);
}

/** The live descendants of `pid` (the upstream a gateway spawned, sandbox included). */
function descendants(pid) {
  const parent = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  for (const [child] of parent) {
    let p = parent.get(child);
    while (p !== undefined && p !== pid && p > 1) p = parent.get(p);
    if (p === pid) out.push(child);
  }
  return out;
}

/** CPU time (ms) of every live descendant of `pid`. */
function descendantsCpuMs(pid) {
  let total = 0;
  for (const child of descendants(pid)) {
    try {
      total += cpuMs(child);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/**
 * The CFS bandwidth counters of the CPU cgroups the descendants of `pid` run in (cgroup v1 `cpu`
 * or v2): scheduling periods and those in which the group ran out of its quota and waited.
 */
function descendantsThrottling(pid) {
  const files = new Set();
  for (const child of descendants(pid)) {
    try {
      for (const line of readFileSync(`/proc/${child}/cgroup`, 'latin1').split('\n')) {
        const [, controllers, path] = line.split(':');
        if (path === undefined || path === '/') continue;
        if (controllers.split(',').includes('cpu')) files.add(`/sys/fs/cgroup/cpu${path}/cpu.stat`);
        else if (controllers === '') files.add(`/sys/fs/cgroup${path}/cpu.stat`);
      }
    } catch {
      // gone meanwhile
    }
  }
  let periods = 0;
  let throttled = 0;
  for (const file of files) {
    try {
      const stat = readFileSync(file, 'latin1');
      periods += Number(/^nr_periods (\d+)/m.exec(stat)?.[1] ?? 0);
      throttled += Number(/^nr_throttled (\d+)/m.exec(stat)?.[1] ?? 0);
    } catch {
      // no such controller here
    }
  }
  return { periods, throttled };
}

function stopChildren(list) {
  return Promise.all(
    list.map(
      (child) =>
        new Promise((res) => {
          if (child.exitCode !== null || child.signalCode !== null) return res();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            res();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * `cap`: the calls/s a row's upstream can serve at most under its cgroup CPU quota (cores / the
 * upstream's CPU per call), for the rows whose upstream runs under one (the satellite's sandbox).
 */
function printTable(title, rows, cap = () => undefined) {
  const base = rows[0];
  console.log('');
  console.log(title);
  console.log(
    `${'system'.padEnd(36)} ${'calls'.padStart(7)} ${'calls/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'floor/calls/s'.padStart(14)} ${'p50/floor'.padStart(10)} ${'p99/floor'.padStart(10)} ${'CPU µs/call'.padStart(12)} ${'upstream µs'.padStart(12)} ${'client µs'.padStart(10)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(36)} ${String(r.calls).padStart(7)} ${fmt(r.cps, 0).padStart(8)} ${fmt(r.p50, 2).padStart(7)} ${fmt(r.p99, 2).padStart(7)} ${`${fmt(base.cps / r.cps, 2)}×`.padStart(14)} ${`${fmt(r.p50 / base.p50, 2)}×`.padStart(10)} ${`${fmt(r.p99 / base.p99, 2)}×`.padStart(10)} ${fmt(r.cpuUs, 0).padStart(12)} ${(r.upUs === undefined ? '-' : fmt(r.upUs, 0)).padStart(12)} ${fmt(r.clientUs, 0).padStart(10)}`,
    );
  }
  // The CPU model: when the client, the system and its upstream share the cores and the run is
  // CPU-bound, calls/s is inversely proportional to the CPU all three spend per call, so a row's
  // ratio to the floor is predicted by (client + floor) of the floor's row over (client + system
  // + upstream) of its own; an upstream under a cgroup CPU quota serves at most cores / its CPU
  // per call, whichever is lower. Printed beside the measured ratio: the model is checked, not assumed.
  const total = (r) => r.clientUs + r.cpuUs + (r.upUs ?? 0);
  console.log(
    `CPU model (calls/s ratio to the floor, predicted = floor row's client + CPU over the row's client + CPU + upstream, or the upstream's cgroup cap if lower):`,
  );
  for (const r of rows.slice(1)) {
    const cpuBound = total(base) / total(r);
    const capped = cap(r) === undefined ? undefined : cap(r) / base.cps;
    const predicted = Math.min(cpuBound, capped ?? Infinity);
    const measured = r.cps / base.cps;
    const throttled =
      r.periods > 0
        ? `; upstream throttled in ${r.throttled} of ${r.periods} CPU periods (${fmt((100 * r.throttled) / r.periods, 0)} %)`
        : '';
    console.log(
      `  ${r.label.padEnd(36)} predicted ${fmt(predicted, 2)} × floor (CPU-bound ${fmt(cpuBound, 2)}${capped === undefined ? '' : `, upstream cap ${fmt(capped, 2)}: ${fmt(cap(r), 0)} calls/s`}), measured ${fmt(measured, 2)} × (measured/predicted ${fmt(measured / predicted, 2)})${throttled}`,
    );
  }
  // The issue's targets, as ratios of calls/s in this run (1 / floor/calls/s).
  const find = (prefix) => rows.find((r) => r.label.startsWith(prefix));
  const naive = find('naive SDK gateway');
  for (const who of ['satellite', 'satellite B']) {
    const mcp = find(`${who} /mcp`);
    const direct = find(`${who} /i/`);
    if (!mcp || !direct || !naive) continue;
    console.log(
      `targets, ${who}: /mcp ${fmt(mcp.cps / base.cps, 2)} × floor (≥ 0.85), ${fmt(mcp.cps / naive.cps, 2)} × naive (≥ 1.3); ` +
        `direct ${fmt(direct.cps / base.cps, 2)} × floor (≥ 0.9); p99 /mcp ${fmt(mcp.p99 / base.p99, 2)} × floor's, direct ${fmt(direct.p99 / base.p99, 2)} × (≤ 2)`,
    );
    const bound = (r) => {
      const cpuBound = reachable(base, r);
      const capped = cap(r) === undefined ? undefined : cap(r) / base.cps;
      return `${fmt(Math.min(cpuBound, capped ?? Infinity), 2)} × floor${capped === undefined ? '' : ` (CPU-bound ${fmt(cpuBound, 2)}, the upstream's cgroup cap ${fmt(capped, 2)})`}`;
    };
    console.log(
      `  best reachable with this upstream: /mcp ${bound(mcp)}, direct ${bound(direct)} ` +
        `(if the satellite's own process cost what the floor's does per call)`,
    );
  }
  if (naive)
    console.log(
      `  naive gateway: ${fmt(naive.cps / base.cps, 2)} × floor measured, best reachable with its upstream ${fmt(reachable(base, naive), 2)} × floor`,
    );
}

/**
 * The calls/s ratio to the floor a gateway row could reach in a CPU-bound run if its own process
 * cost only what the floor's does per call, its upstream and the client as measured:
 * (client + floor) / (client + floor + upstream), the client's CPU per call of the row's own calls.
 */
function reachable(floor, r) {
  const client = r.clientUs;
  return (client + floor.cpuUs) / (client + floor.cpuUs + (r.upUs ?? 0));
}

/** Measures every system in ROUNDS turns; CPU per call of the system and of its upstream. */
async function measureSystems(systems) {
  const measured = [];
  for (const s of systems) {
    const clients = await openClients(s.url);
    await measure(clients, s.call, WARMUP_S);
    measured.push({
      ...s,
      clients,
      latencies: [],
      elapsed: 0,
      cpu: 0,
      upCpu: 0,
      clientCpu: 0,
      periods: 0,
      throttled: 0,
    });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const m of measured) {
      const cpu0 = cpuMs(m.pid);
      const up0 = m.upstream ? m.upstream() : 0;
      const thr0 = m.throttling?.();
      // The bench's own CPU (the SDK clients) over the slice: the client's share of each call.
      const client0 = process.cpuUsage();
      m.elapsed += await measure(m.clients, m.call, SECONDS / ROUNDS, m.latencies);
      const client = process.cpuUsage(client0);
      m.clientCpu += (client.user + client.system) / 1000;
      m.cpu += cpuMs(m.pid) - cpu0;
      if (m.upstream) m.upCpu += m.upstream() - up0;
      if (thr0) {
        const thr1 = m.throttling();
        m.periods += thr1.periods - thr0.periods;
        m.throttled += thr1.throttled - thr0.throttled;
      }
    }
  }
  await Promise.all(measured.map((m) => closeClients(m.clients)));
  return measured.map(
    ({ label, latencies, elapsed, cpu, upCpu, clientCpu, upstream, periods, throttled }) => {
      const sorted = latencies.sort((a, b) => a - b);
      return {
        label,
        calls: sorted.length,
        cps: sorted.length / elapsed,
        p50: pct(sorted, 50),
        p99: pct(sorted, 99),
        cpuUs: (cpu * 1000) / sorted.length,
        upUs: upstream ? (upCpu * 1000) / sorted.length : undefined,
        clientUs: (clientCpu * 1000) / sorted.length,
        periods,
        throttled,
      };
    },
  );
}

async function main() {
  const cpu = cpus();
  console.log(
    `transport bench: ${new Date().toISOString()}, node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? '?'}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB; ${SESSIONS} sessions × ${SECONDS} s per system` +
      `; satellite flags: ${SATELLITE_FLAGS.join(' ') || 'none'}, stdio servers' limits ${SATELLITE_LIMIT_CPU} core, ${SATELLITE_LIMIT_MEMORY_MB} MB` +
      `${SMOKE ? ' (smoke)' : ''}; upstreams ${UPSTREAMS.join(', ')}; idle sessions ${IDLE_SESSIONS}; load ${LOAD_MINUTES} min`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'transport-bench-'));
  const floor = await start('floor', [join(HERE, 'floor-server.mjs')], {}, /^listening (\d+)$/m);
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const logLevel = process.env.BENCH_SATELLITE_LOG_LEVEL ?? 'default: info';

  for (const [index, kind] of UPSTREAMS.entries()) {
    const first = index === 0;
    const started = [];
    const track = (s) => (started.push(s.child), s);
    let upstreamUrl;
    let upstream;
    let everything;
    let naiveEnv;
    if (kind === 'http') {
      // server-everything prints the port it was given, not the one it bound: give it a free one.
      upstream = track(
        await start(
          'server-everything',
          ['--import', LOOPBACK_ONLY, EVERYTHING, 'streamableHttp'],
          { PORT: String(await freePort()) },
          /listening on port (\d+)/i,
          'stderr',
        ),
      );
      upstreamUrl = `http://127.0.0.1:${upstream.port}/mcp`;
      everything = { type: 'http', url: upstreamUrl };
      naiveEnv = { UPSTREAM_URL: upstreamUrl };
    } else {
      // Each gateway spawns its own server-everything over stdio (the satellite in its sandbox).
      everything = { command: process.execPath, args: [EVERYTHING, 'stdio'] };
      naiveEnv = { UPSTREAM_STDIO: JSON.stringify([EVERYTHING, 'stdio']) };
    }
    const naive = track(
      await start(
        'naive gateway',
        [join(HERE, 'naive-gateway.mjs')],
        { ...naiveEnv, SLUG: 'everything' },
        /^listening (\d+)$/m,
      ),
    );
    const config = join(dir, `mcp-${kind}.json`);
    writeFileSync(config, JSON.stringify({ mcpServers: { everything } }));
    let sandbox;
    const startSatellite = async (label, main, profile) => {
      const { child, port } = track(
        await start(
          label,
          [
            ...SATELLITE_FLAGS,
            ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, kind)}`] : []),
            main,
          ],
          {
            NODE_ENV: 'production',
            HOST: '127.0.0.1',
            PORT: '0',
            DEPLOYSTACK_MCP_CONFIG: config,
            DEPLOYSTACK_DATA_DIR: join(dir, `data-${kind}-${label}`),
            // The production default (`auto`: the strongest sandbox that works here), falling back
            // to none where no sandbox works on the machine.
            DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
            DEPLOYSTACK_MAX_SESSIONS: String(IDLE_SESSIONS + 4 * SESSIONS + 100),
            DEPLOYSTACK_LIMIT_CPU: String(SATELLITE_LIMIT_CPU),
            DEPLOYSTACK_LIMIT_MEMORY_MB: String(SATELLITE_LIMIT_MEMORY_MB),
            ...(process.env.BENCH_SATELLITE_LOG_LEVEL
              ? { LOG_LEVEL: process.env.BENCH_SATELLITE_LOG_LEVEL }
              : {}),
          },
          /satellite listening on http:\/\/127\.0\.0\.1:(\d+)/,
        ),
      );
      const base = `http://127.0.0.1:${port}`;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`${label} exited before it was ready:\n${child.bootLog}`);
        const ready = await fetch(`${base}/health/ready`).catch(() => undefined);
        if (ready?.ok) break;
        await sleep(50);
      }
      return { child, base };
    };
    const satellite = await startSatellite('satellite', SATELLITE_MAIN, PROFILE_DIR !== undefined);
    const sat = satellite.base;
    const other = COMPARE_MAIN
      ? await startSatellite('satellite-b', COMPARE_MAIN, false)
      : undefined;
    await sleep(1000);
    const servers = [
      ['floor (Fastify JSON-RPC)', floor.child],
      ['naive SDK gateway', naive.child],
      [`satellite (LOG_LEVEL ${logLevel})`, satellite.child],
      ...(other ? [[`satellite B (LOG_LEVEL ${logLevel})`, other.child]] : []),
    ];
    const rss = servers.map(([label, child]) => ({
      label,
      pid: child.pid,
      idle: rssMb(child.pid),
    }));
    const idleUrls = [
      `http://127.0.0.1:${floor.port}/mcp`,
      `http://127.0.0.1:${naive.port}/mcp`,
      `${sat}/mcp`,
      ...(other ? [`${other.base}/mcp`] : []),
    ];
    // Memory with idle sessions first, on fresh processes (they stay open through what follows);
    // once, with the first upstream kind.
    if (first) {
      for (const [i, url] of idleUrls.entries()) {
        await openIdleSessions(url, IDLE_SESSIONS);
        await sleep(1000);
        rss[i].sessions = rssMb(rss[i].pid);
      }
    }

    const viaHttp = upstream ? () => cpuMs(upstream.child.pid) : undefined;
    const spawned = (pid) => (upstream ? viaHttp : () => descendantsCpuMs(pid));
    const systems = [
      {
        label: 'floor: Fastify JSON-RPC, no SDK',
        url: `http://127.0.0.1:${floor.port}/mcp`,
        call: echo,
        pid: floor.child.pid,
      },
      ...(upstream
        ? [
            {
              label: 'upstream alone: server-everything',
              url: upstreamUrl,
              call: echo,
              pid: upstream.child.pid,
            },
          ]
        : []),
      {
        label: 'naive SDK gateway: execute',
        url: `http://127.0.0.1:${naive.port}/mcp`,
        call: execute,
        pid: naive.child.pid,
        upstream: spawned(naive.child.pid),
      },
      {
        label: 'satellite /mcp: execute_mcp_tool',
        url: `${sat}/mcp`,
        call: execute,
        pid: satellite.child.pid,
        upstream: spawned(satellite.child.pid),
        throttling: upstream ? undefined : () => descendantsThrottling(satellite.child.pid),
      },
      {
        label: 'satellite /i/everything/mcp: echo',
        url: `${sat}/i/everything/mcp`,
        call: echo,
        pid: satellite.child.pid,
        upstream: spawned(satellite.child.pid),
        throttling: upstream ? undefined : () => descendantsThrottling(satellite.child.pid),
      },
      ...(other
        ? [
            {
              label: 'satellite B /mcp: execute_mcp_tool',
              url: `${other.base}/mcp`,
              call: execute,
              pid: other.child.pid,
              upstream: spawned(other.child.pid),
              throttling: upstream ? undefined : () => descendantsThrottling(other.child.pid),
            },
            {
              label: 'satellite B /i/everything/mcp: echo',
              url: `${other.base}/i/everything/mcp`,
              call: echo,
              pid: other.child.pid,
              upstream: spawned(other.child.pid),
              throttling: upstream ? undefined : () => descendantsThrottling(other.child.pid),
            },
          ]
        : []),
    ];
    // Every system is measured in ROUNDS slices, taking turns, so that a noisy neighbour slows
    // them all alike instead of the one that happened to run at the time. The CPU time the
    // system's own process (and the upstream) used per call is the figure least moved by them.
    const rows = await measureSystems(systems);
    sandbox = /sandbox driver (\w+)/.exec(satellite.child.bootLog)?.[1];
    // The sandbox's cgroup CPU quota on the satellite's stdio upstream, when it enforces one.
    const cpuCapped =
      kind === 'stdio' &&
      /sandbox driver \w+; enforced: [^"]*\bcpu\b/.test(satellite.child.bootLog);
    const cap = (r) =>
      cpuCapped && r.label.startsWith('satellite') && r.upUs > 0
        ? (SATELLITE_LIMIT_CPU * 1e6) / r.upUs
        : undefined;
    printTable(
      kind === 'stdio'
        ? `upstream: server-everything over stdio, one per gateway (the issue's setup; the satellite's sandbox: ${sandbox ?? 'not logged'}, ${cpuCapped ? `CPU quota ${SATELLITE_LIMIT_CPU} core per server` : 'no CPU quota'}; "upstream µs": the gateway's child processes)`
        : 'upstream: server-everything over Streamable HTTP, one process shared by the gateways',
      rows,
      cap,
    );

    if (first) {
      const loadCalls = [];
      if (LOAD_MINUTES > 0) {
        const loads = idleUrls.map((url, i) => [url, i === 0 ? echo : execute]);
        for (const [i, [url, call]] of loads.entries()) {
          // RSS every minute of the load: a plateau is the heap's high-water mark, a slope a leak.
          const samples = [];
          const timer = setInterval(() => samples.push(fmt(rssMb(rss[i].pid), 0)), 60_000);
          const { latencies, elapsed } = await drive(url, call, LOAD_MINUTES * 60).finally(() =>
            clearInterval(timer),
          );
          loadCalls.push(
            `${rss[i].label.split(' (')[0]}: ${latencies.length} calls, ${fmt(latencies.length / elapsed, 0)}/s, RSS per minute ${samples.join(' ')} MB`,
          );
          await sleep(500);
          rss[i].load = rssMb(rss[i].pid);
        }
      }
      console.log('');
      const loadHead = LOAD_MINUTES > 0 ? `after ${LOAD_MINUTES} min load` : 'load (skipped)';
      console.log(
        `${`RSS (MB), upstream over ${kind}`.padEnd(44)} ${'idle'.padStart(7)} ${`+${IDLE_SESSIONS} idle sessions`.padStart(24)} ${'KB/session'.padStart(11)} ${loadHead.padStart(20)}`,
      );
      for (const r of rss) {
        const perSession = ((r.sessions - r.idle) * 1024) / IDLE_SESSIONS;
        console.log(
          `${r.label.padEnd(44)} ${fmt(r.idle).padStart(7)} ${fmt(r.sessions).padStart(24)} ${fmt(perSession, 0).padStart(11)} ${(r.load === undefined ? '-' : fmt(r.load)).padStart(20)}`,
        );
      }
      for (const line of loadCalls) console.log(`load phase, ${line}`);
    }
    await stopChildren(started);
  }
  rmSync(dir, { recursive: true, force: true });
}

async function stopAll() {
  await stopChildren(children);
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));

try {
  await main();
  await stopAll();
  if (PROFILE_DIR)
    console.log(
      `satellite CPU profile in ${PROFILE_DIR} (node bench/transport/profile-summary.mjs ${PROFILE_DIR})`,
    );
} catch (err) {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
}
