// What the task engine costs per task, against tasks.sqlite on the local disk: starting a task
// (bounds check + insert), ending it with a result of RESULT_BYTES (update), and a tasks/get
// (select), for OWNERS owners holding PER_OWNER tasks each (the default bound is 100). Runs the built code (`npx nest build` first):
// bash scripts/with-node.sh node bench/tasks/tasks-bench.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const dist = resolve(import.meta.dirname, '..', '..', 'dist');
const load = (path) => import(join(dist, path));
const { TasksService } = await load('tasks/tasks.service.js');
const { TaskStore } = await load('tasks/task.store.js');
const { Clock } = await load('events/clock.js');

const OWNERS = Number(process.env.TASKS_BENCH_OWNERS ?? 50);
const PER_OWNER = Number(process.env.TASKS_BENCH_PER_OWNER ?? 100);
const TASKS = OWNERS * PER_OWNER;
const RESULT_BYTES = Number(process.env.TASKS_BENCH_RESULT_BYTES ?? 1_024);
const dir = mkdtempSync(join(tmpdir(), 'tasks-bench-'));
const config = {
  tasks: {
    maxPerOwner: PER_OWNER,
    maxBytesPerOwner: 2 ** 40,
    ttlMs: 3_600_000,
    maxTtlMs: 86_400_000,
    pollIntervalMs: 2_000,
    runTimeoutMs: 3_600_000,
  },
};
const tasks = new TasksService(config, new TaskStore(join(dir, 'tasks.sqlite')), new Clock());
const result = { content: [{ type: 'text', text: 'x'.repeat(RESULT_BYTES) }] };
const ends = [];
const work = {
  label: 'bench/tool',
  origin: 'meta',
  run: () => new Promise((res) => ends.push(() => res(result))),
};

let t = performance.now();
const ids = [];
for (let i = 0; i < TASKS; i++)
  ids.push([`owner-${i % OWNERS}`, tasks.start(`owner-${i % OWNERS}`, work).id]);
const startMs = performance.now() - t;

t = performance.now();
for (const end of ends) end();
await tasks.ended(...ids.at(-1), new AbortController().signal);
const endMs = performance.now() - t;

t = performance.now();
for (const [owner, id] of ids) tasks.get(owner, id);
const getMs = performance.now() - t;

const us = (ms) => `${((ms * 1000) / TASKS).toFixed(1)} µs`;
console.log(`tasks: ${OWNERS} owners × ${PER_OWNER}, result: ${RESULT_BYTES} bytes of text`);
console.log(`start (bounds + insert): ${us(startMs)} per task`);
console.log(`end (result stored):     ${us(endMs)} per task`);
console.log(`tasks/get (select):      ${us(getMs)} per task`);
tasks.beforeApplicationShutdown();
tasks.onApplicationShutdown();
rmSync(dir, { recursive: true, force: true });
