// What each top-level dependency costs in memory just by being imported (node
// bench/memory/import-cost.mjs, through scripts/with-node.sh): for each one a fresh `node` with
// the production flags (scripts/node-flags.txt) imports it alone and prints RSS, heap used and
// external memory after a full GC, minus the same figures of the bare process just before the
// import. Then one process imports the satellite's runtime set stage by stage, in the order the
// built app meets them (cumulative; shared dependencies are paid once), and finally the built
// app's own `dist/app.factory.js` (what is left is the application's code).
// IMPORT_COST_RUNS (default 3): fresh processes per module; the median is printed.
// Dev-only modules (playwright-core, @readme/openapi-parser) are measured to show what loading
// them would cost; the satellite never imports them at run time.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..', '..');
const RUNS = Number(process.env.IMPORT_COST_RUNS ?? 3);
const FLAGS = readFileSync(join(ROOT, 'scripts', 'node-flags.txt'), 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter(Boolean);

/** Label → specifiers imported together. */
const MODULES = [
  ['reflect-metadata + rxjs', ['reflect-metadata', 'rxjs']],
  ['@nestjs/common', ['reflect-metadata', '@nestjs/common']],
  ['@nestjs/core', ['reflect-metadata', '@nestjs/core']],
  ['fastify', ['fastify']],
  ['@nestjs/platform-fastify (+ fastify)', ['reflect-metadata', '@nestjs/platform-fastify']],
  ['@nestjs/swagger', ['reflect-metadata', '@nestjs/swagger']],
  ['@nestjs/schedule', ['reflect-metadata', '@nestjs/schedule']],
  ['@fastify/static', ['@fastify/static']],
  [
    'SDK v1 server (index, streamableHttp, sse)',
    [
      '@modelcontextprotocol/sdk/server/index.js',
      '@modelcontextprotocol/sdk/server/streamableHttp.js',
      '@modelcontextprotocol/sdk/server/sse.js',
    ],
  ],
  [
    'SDK v1 client (index, stdio, streamableHttp, sse)',
    [
      '@modelcontextprotocol/sdk/client/index.js',
      '@modelcontextprotocol/sdk/client/stdio.js',
      '@modelcontextprotocol/sdk/client/streamableHttp.js',
      '@modelcontextprotocol/sdk/client/sse.js',
    ],
  ],
  ['SDK v1 types.js (its zod schemas)', ['@modelcontextprotocol/sdk/types.js']],
  ['SDK v1 validation/ajv', ['@modelcontextprotocol/sdk/validation/ajv']],
  ['SDK v2 @modelcontextprotocol/server', ['@modelcontextprotocol/server']],
  ['@hono/node-server', ['@hono/node-server']],
  ['zod', ['zod']],
  [
    'ajv + ajv-formats + 2019 + 2020',
    ['ajv', 'ajv-formats', 'ajv/dist/2019.js', 'ajv/dist/2020.js'],
  ],
  ['class-validator + class-transformer', ['class-validator', 'class-transformer']],
  ['pino', ['pino']],
  ['nestjs-pino (+ pino, pino-http)', ['reflect-metadata', 'nestjs-pino']],
  ['pino-pretty', ['pino-pretty']],
  ['prom-client', ['prom-client']],
  ['cockatiel', ['cockatiel']],
  ['node:sqlite', ['node:sqlite']],
  ['gpt-tokenizer (o200k_base; in a child process)', ['gpt-tokenizer/encoding/o200k_base']],
  ['minisearch + stemmer', ['minisearch', 'stemmer']],
  ['fastest-levenshtein', ['fastest-levenshtein']],
  ['jose', ['jose']],
  ['lru-cache', ['lru-cache']],
  ['chokidar', ['chokidar']],
  ['(dev only) playwright-core', ['playwright-core']],
  ['(dev only) @readme/openapi-parser', ['@readme/openapi-parser']],
];

/** The runtime set, cumulative, in about the order the built app imports it. */
const STAGES = [
  ['node:sqlite + reflect-metadata', ['node:sqlite', 'reflect-metadata']],
  ['@nestjs/common + core', ['@nestjs/common', '@nestjs/core']],
  ['@nestjs/platform-fastify', ['@nestjs/platform-fastify']],
  ['@nestjs/swagger', ['@nestjs/swagger']],
  ['nestjs-pino', ['nestjs-pino']],
  ['class-validator/-transformer', ['class-validator', 'class-transformer']],
  ['zod', ['zod']],
  [
    'SDK v1 server + client',
    [
      '@modelcontextprotocol/sdk/server/index.js',
      '@modelcontextprotocol/sdk/server/streamableHttp.js',
      '@modelcontextprotocol/sdk/server/sse.js',
      '@modelcontextprotocol/sdk/client/index.js',
      '@modelcontextprotocol/sdk/client/stdio.js',
      '@modelcontextprotocol/sdk/client/streamableHttp.js',
      '@modelcontextprotocol/sdk/client/sse.js',
    ],
  ],
  ['SDK v2 server + @hono/node-server', ['@modelcontextprotocol/server', '@hono/node-server']],
  ['ajv (+ formats, 2019, 2020)', ['ajv', 'ajv-formats', 'ajv/dist/2019.js', 'ajv/dist/2020.js']],
  ['prom-client', ['prom-client']],
  [
    'the small ones',
    [
      '@nestjs/schedule',
      'cockatiel',
      'minisearch',
      'stemmer',
      'fastest-levenshtein',
      'jose',
      'lru-cache',
      'chokidar',
    ],
  ],
];

// Child: measure, import, measure; one JSON line per stage.
if (process.argv[2] === '--child') {
  const stages = JSON.parse(process.argv[3]);
  const sample = async () => {
    // Two collections and a turn of the event loop, so that what import() left to die is gone.
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 50));
    globalThis.gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
  };
  const samples = [{ label: 'bare node', ...(await sample()) }];
  for (const [label, specs] of stages) {
    for (const spec of specs) {
      const target = spec.startsWith('/') ? pathToFileURL(spec).href : spec;
      await import(target);
    }
    samples.push({ label, ...(await sample()) });
  }
  process.stdout.write(JSON.stringify(samples) + '\n');
  process.exit(0);
}

const run = (stages) =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [...FLAGS, '--expose-gc', import.meta.filename, '--child', JSON.stringify(stages)],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } },
    ),
  );
const mb = (b) => (b / 2 ** 20).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (label, rss, heap, ext) =>
  `${label.padEnd(52)} ${mb(rss).padStart(7)} ${mb(heap).padStart(7)} ${mb(ext).padStart(7)}`;
const header = (title) =>
  console.log(
    `\n${title}\n${'module'.padEnd(52)} ${'RSS'.padStart(7)} ${'heap'.padStart(7)} ${'ext'.padStart(7)}   (MB)`,
  );

console.log(
  `import cost: ${new Date().toISOString()}, node ${process.version}, flags ${FLAGS.join(' ')}, median of ${RUNS} fresh processes`,
);
header('Each module alone (delta over the bare process, after a full GC)');
let bare;
for (const [label, specs] of MODULES) {
  const deltas = [];
  for (let i = 0; i < RUNS; i++) {
    const [b, a] = run([[label, specs]]);
    bare ??= b;
    deltas.push({
      rss: a.rss - b.rss,
      heap: a.heapUsed - b.heapUsed,
      ext: a.external - b.external,
    });
  }
  console.log(
    row(
      label,
      median(deltas.map((d) => d.rss)),
      median(deltas.map((d) => d.heap)),
      median(deltas.map((d) => d.ext)),
    ),
  );
}
console.log(row('(bare node, absolute)', bare.rss, bare.heapUsed, bare.external));

const app = join(ROOT, 'dist', 'app.factory.js');
const stages = existsSync(app)
  ? [...STAGES, ['the built app (dist/app.factory.js)', [app]]]
  : STAGES;
header('Cumulative, one process (delta over the previous stage; last line absolute)');
const runs = Array.from({ length: RUNS }, () => run(stages));
for (let i = 1; i < runs[0].length; i++) {
  const d = (k) => median(runs.map((r) => r[i][k] - r[i - 1][k]));
  console.log(row(runs[0][i].label, d('rss'), d('heapUsed'), d('external')));
}
const last = runs[0].length - 1;
console.log(
  row(
    'total after the last stage (absolute)',
    median(runs.map((r) => r[last].rss)),
    median(runs.map((r) => r[last].heapUsed)),
    median(runs.map((r) => r[last].external)),
  ),
);
