import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadSatelliteConfig } from '../config/config.loader.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { TaskWork } from './task-api.js';
import { TaskStore } from './task.store.js';
import { TaskEndedError, TaskLimitError, TaskNotFoundError } from './tasks.errors.js';
import { RESTARTED_MESSAGE, SHUTDOWN_MESSAGE, TasksService } from './tasks.service.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'tasks-')), 'data', 'tasks.sqlite');

function engine(path: string, env: Record<string, string> = {}, clock = new ManualClock()) {
  const servers = join(mkdtempSync(join(tmpdir(), 'tasks-config-')), 'mcp.json');
  writeFileSync(servers, JSON.stringify({ mcpServers: {} }));
  const config = loadSatelliteConfig({
    NODE_ENV: 'test',
    DEPLOYSTACK_MCP_CONFIG: servers,
    ...env,
  });
  return { tasks: new TasksService(config, new TaskStore(path), clock), clock };
}

/** Work that ends when the test says, and remembers whether its signal aborted. */
function controlled(label = 'srv/tool') {
  let finish!: (r: CallToolResult) => void;
  let fail!: (e: Error) => void;
  const seen: { signal?: AbortSignal } = {};
  const work: TaskWork = {
    label,
    origin: 'meta',
    run: (signal) => {
      seen.signal = signal;
      return new Promise<CallToolResult>((res, rej) => {
        finish = res;
        fail = rej;
        signal.addEventListener('abort', () => rej(signal.reason as Error));
      });
    },
  };
  return { work, seen, finish: (r: CallToolResult) => finish(r), fail: (e: Error) => fail(e) };
}

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });
const settle = () => new Promise((r) => setImmediate(r));

describe('TasksService', () => {
  it('runs a call detached, stores its result, and shows it only to its owner', async () => {
    const { tasks } = engine(file());
    const w = controlled();
    const t = tasks.start('alice', w.work);
    expect(tasks.get('alice', t.id).status).toBe('working');
    expect(() => tasks.get('bob', t.id)).toThrow(TaskNotFoundError);
    expect(() => tasks.cancel('bob', t.id)).toThrow(TaskNotFoundError);
    expect(tasks.list('bob').tasks).toEqual([]);
    w.finish(text('done'));
    await settle();
    const done = tasks.get('alice', t.id);
    expect(done.status).toBe('completed');
    expect(JSON.parse(done.result!)).toEqual(text('done'));
    expect(tasks.list('alice').tasks.map((x) => x.id)).toEqual([t.id]);
  });

  it('cancel aborts the work and the late end of the work changes nothing', async () => {
    const { tasks } = engine(file());
    const w = controlled();
    const t = tasks.start('alice', w.work);
    expect(tasks.cancel('alice', t.id).status).toBe('cancelled');
    expect(w.seen.signal?.aborted).toBe(true);
    await settle();
    expect(tasks.get('alice', t.id).status).toBe('cancelled');
    expect(() => tasks.cancel('alice', t.id)).toThrow(TaskEndedError);
  });

  it('expires a task after its TTL: a running one is aborted, then it is gone', async () => {
    const { tasks, clock } = engine(file(), { DEPLOYSTACK_TASK_TTL_MS: '5000' });
    const w = controlled();
    const t = tasks.start('alice', w.work);
    expect(t.ttlMs).toBe(5000);
    clock.advance(5000);
    expect(w.seen.signal?.aborted).toBe(true);
    await settle();
    expect(() => tasks.get('alice', t.id)).toThrow(TaskNotFoundError);
    // A TTL asked for is clamped to the maximum.
    const { tasks: other } = engine(file(), { DEPLOYSTACK_TASK_MAX_TTL_MS: '60000' });
    expect(other.start('alice', controlled().work, 10 ** 9).ttlMs).toBe(60_000);
  });

  it('refuses a task past the per-owner count, with a message that says what to do', () => {
    const { tasks } = engine(file(), { DEPLOYSTACK_TASK_MAX_PER_OWNER: '2' });
    tasks.start('alice', controlled().work);
    tasks.start('alice', controlled().work);
    expect(() => tasks.start('alice', controlled().work)).toThrow(TaskLimitError);
    expect(() => tasks.start('alice', controlled().work)).toThrow(/at most 2.*Fetch or cancel/);
    // Another owner has its own budget.
    expect(tasks.start('bob', controlled().work).status).toBe('working');
  });

  it('fails a task whose result does not fit the owner bytes, and refuses new ones when full', async () => {
    const { tasks } = engine(file(), { DEPLOYSTACK_TASK_MAX_BYTES_PER_OWNER: '2048' });
    const big = controlled();
    const t1 = tasks.start('alice', big.work);
    big.finish(text('x'.repeat(3000)));
    await settle();
    const failed = tasks.get('alice', t1.id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/does not fit in your task storage/);
    const fits = controlled();
    const t2 = tasks.start('alice', fits.work);
    // 39 bytes of JSON around the text: exactly the 2048 bytes allowed.
    fits.finish(text('y'.repeat(2048 - JSON.stringify(text('')).length)));
    await settle();
    expect(tasks.get('alice', t2.id).status).toBe('completed');
    expect(() => tasks.start('alice', controlled().work)).toThrow(/Task storage full/);
  });

  it('keeps finished results across a restart and fails what was left running', async () => {
    const path = file();
    const first = engine(path);
    const done = controlled();
    const t1 = first.tasks.start('alice', done.work);
    done.finish(text('kept'));
    await settle();
    const t2 = first.tasks.start('alice', controlled().work);
    // No graceful shutdown: the process died with t2 running.
    const second = engine(path, {}, first.clock);
    expect(JSON.parse(second.tasks.get('alice', t1.id).result!)).toEqual(text('kept'));
    const lost = second.tasks.get('alice', t2.id);
    expect(lost.status).toBe('failed');
    expect(lost.error?.message).toBe(RESTARTED_MESSAGE);
  });

  it('a graceful shutdown cancels running work and fails its task with the reason', () => {
    const { tasks } = engine(file());
    const w = controlled();
    const t = tasks.start('alice', w.work);
    tasks.beforeApplicationShutdown();
    expect(w.seen.signal?.aborted).toBe(true);
    const failed = tasks.get('alice', t.id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toBe(SHUTDOWN_MESSAGE);
    tasks.onApplicationShutdown();
  });

  it('waits for the end of a task (tasks/result) and pages the list', async () => {
    const { tasks } = engine(file());
    const w = controlled();
    const t = tasks.start('alice', w.work);
    const ended = tasks.ended('alice', t.id, new AbortController().signal);
    w.finish(text('at last'));
    expect((await ended).status).toBe('completed');
    for (let i = 0; i < 55; i++) tasks.start('carol', controlled().work);
    const page1 = tasks.list('carol');
    expect(page1.tasks).toHaveLength(50);
    const page2 = tasks.list('carol', page1.nextCursor);
    expect(page2.tasks).toHaveLength(5);
    expect(page2.nextCursor).toBeUndefined();
    expect(new Set([...page1.tasks, ...page2.tasks].map((x) => x.id)).size).toBe(55);
  });
});
