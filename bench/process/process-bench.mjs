// Process module benchmark (npm run bench:process). Runs against the built dist/ (npm run build).
// Prints, per sandbox driver available here: cold start (spawn → tools listed) through the
// process manager vs the same server spawned directly by the SDK client, as a ratio measured in
// the same run; warm call overhead; and RSS with 50 dormant and 10 running servers.
// The machines are shared and noisy: read the ratios, not the absolute times.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dist = (p) => import(join(ROOT, 'dist', p));
const { loadSatelliteConfig } = await dist('config/config.loader.js');
const { SatelliteConfig } = await dist('config/satellite-config.js');
const { EventBusService } = await dist('events/event-bus.service.js');
const { ProcessModule } = await dist('process/process.module.js');
const { ProcessManagerService } = await dist('process/process-manager.service.js');

const MEMORY = join(
  ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'server-memory',
  'dist',
  'index.js',
);
const TINY = join(ROOT, 'test', 'process', 'fixtures', 'tiny-server.mjs');
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
const WARM_CALLS = Number(process.env.BENCH_WARM_CALLS ?? 300);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;
const newClient = () => new Client({ name: 'bench', version: '1.0.0' }, { capabilities: {} });
const echo = (client, i) =>
  client.request(
    { method: 'tools/call', params: { name: 'echo', arguments: { message: String(i) } } },
    CallToolResultSchema,
  );

async function context(sandbox) {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'process-bench-')), 'data');
  const config = loadSatelliteConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DEPLOYSTACK_MCP_CONFIG: join(ROOT, 'config', 'mcp-servers.empty.json'),
    DEPLOYSTACK_DATA_DIR: dataDir,
    DEPLOYSTACK_SANDBOX: sandbox,
    DEPLOYSTACK_PROCESS_IDLE_TIMEOUT_MS: '1000',
    // Limits generous enough not to be what is measured (the default 0.1 CPU makes Node start in
    // ~1.7 s).
    DEPLOYSTACK_LIMIT_CPU: '2',
    DEPLOYSTACK_LIMIT_MEMORY_MB: '512',
    DEPLOYSTACK_LIMIT_PIDS: '200',
  });
  class BenchGlobals {}
  const globals = {
    module: BenchGlobals,
    global: true,
    providers: [{ provide: SatelliteConfig, useValue: config }, EventBusService],
    exports: [SatelliteConfig, EventBusService],
  };
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(
    { module: BenchModule, imports: [globals, ProcessModule] },
    { logger: false },
  );
  return { app, manager: app.get(ProcessManagerService), dataDir };
}

let seq = 0;
const def = (args, env = {}) => ({
  id: `bench-${++seq}`,
  slug: `bench-${seq}`,
  team: 'bench',
  enabled: true,
  secrets: [],
  transport: 'stdio',
  command: process.execPath,
  args,
  env,
});

async function coldDirect() {
  const t0 = performance.now();
  const client = newClient();
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [MEMORY],
      env: { PATH: process.env.PATH ?? '' },
      stderr: 'ignore',
    }),
  );
  await client.listTools();
  const t = performance.now() - t0;
  await client.close();
  return t;
}

async function coldManaged(manager, home) {
  const d = def([MEMORY], { MEMORY_FILE_PATH: join(home, 'memory.jsonl') });
  const t0 = performance.now();
  await manager.start(d, newClient);
  await manager.withClient(d.id, (c) => c.listTools());
  const t = performance.now() - t0;
  await manager.remove(d.id);
  return t;
}

function treeRssMb(pgids) {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (!pgids.has(pgid)) continue;
      kb += Number(
        /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1] ?? 0,
      );
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

async function benchDriver(driver) {
  const { app, manager, dataDir } = await context(driver);
  const report = manager.sandboxReport();
  if (report.driver !== driver) {
    await app.close();
    return {
      driver,
      skipped: report.notEnforced.map((g) => g.reason).join('; ') || `resolved to ${report.driver}`,
    };
  }
  const home = join(dataDir, 'teams', 'bench');
  await coldDirect(); // warm the page cache
  await coldManaged(manager, home);
  const direct = [];
  const managed = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    direct.push(await coldDirect());
    managed.push(await coldManaged(manager, home));
  }

  // Warm calls: the same tiny server, direct SDK client vs through withClient.
  const client = newClient();
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [TINY],
      env: { PATH: process.env.PATH ?? '' },
      stderr: 'ignore',
    }),
  );
  const d = def([TINY]);
  await manager.start(d, newClient);
  for (let i = 0; i < 20; i++)
    await Promise.all([echo(client, i), manager.withClient(d.id, (c) => echo(c, i))]);
  const warmDirect = [];
  const warmManaged = [];
  for (let i = 0; i < WARM_CALLS; i++) {
    let t0 = performance.now();
    await echo(client, i);
    warmDirect.push(performance.now() - t0);
    t0 = performance.now();
    await manager.withClient(d.id, (c) => echo(c, i));
    warmManaged.push(performance.now() - t0);
  }
  await client.close();
  await manager.remove(d.id);
  await app.close();
  return {
    driver,
    enforced: report.enforced.join(','),
    coldDirect: median(direct),
    coldManaged: median(managed),
    warmDirect: median(warmDirect),
    warmManaged: median(warmManaged),
  };
}

async function benchRss(driver) {
  const { app, manager } = await context(driver);
  const rssBefore = process.memoryUsage().rss / 1024 / 1024;
  const defs = Array.from({ length: 60 }, () => def([TINY]));
  for (let i = 0; i < defs.length; i += 6)
    await Promise.all(defs.slice(i, i + 6).map((d) => manager.start(d, newClient)));
  // Idle timeout is 1 s: let every server go idle, touch 10 of them, then reap: 50 dormant, 10 running.
  await new Promise((r) => setTimeout(r, 1100));
  for (const d of defs.slice(50)) await manager.withClient(d.id, (c) => echo(c, 0));
  await manager.reapIdle(Date.now());
  const states = manager
    .list()
    .reduce((acc, p) => ((acc[p.state] = (acc[p.state] ?? 0) + 1), acc), {});
  const pgids = new Set(manager.list().flatMap((p) => (p.pid ? [p.pid] : [])));
  global.gc?.();
  const out = {
    driver,
    states,
    satelliteRssMb: process.memoryUsage().rss / 1024 / 1024,
    satelliteGrowthMb: process.memoryUsage().rss / 1024 / 1024 - rssBefore,
    childrenRssMb: treeRssMb(pgids),
  };
  await app.close();
  return out;
}

const drivers = ['none', 'bwrap', 'nsjail'];
console.log(
  `process bench: node ${process.version}, ${COLD_RUNS} cold runs, ${WARM_CALLS} warm calls (medians)`,
);
console.log(
  'driver  | cold direct | cold managed | ratio | warm direct | warm managed | overhead | enforced',
);
for (const driver of drivers) {
  const r = await benchDriver(driver);
  if (r.skipped) {
    console.log(`${driver.padEnd(7)} | skipped: ${r.skipped}`);
    continue;
  }
  console.log(
    [
      driver.padEnd(7),
      ms(r.coldDirect).padStart(11),
      ms(r.coldManaged).padStart(12),
      `${(r.coldManaged / r.coldDirect).toFixed(2)}x`.padStart(5),
      ms(r.warmDirect).padStart(11),
      ms(r.warmManaged).padStart(12),
      `+${ms(r.warmManaged - r.warmDirect)}`.padStart(8),
      r.enforced,
    ].join(' | '),
  );
}
const bwrapWorks = spawnSync('sh', ['-c', 'command -v bwrap']).status === 0;
const rss = await benchRss(bwrapWorks ? 'bwrap' : 'none');
console.log(
  `RSS (${rss.driver}) with ${JSON.stringify(rss.states)}: satellite ${rss.satelliteRssMb.toFixed(0)} MB (+${rss.satelliteGrowthMb.toFixed(0)} MB for 60 servers), running server trees ${rss.childrenRssMb.toFixed(0)} MB`,
);
