import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { Clock, type TimerHandle } from '../events/clock.js';
import type { TaskWork } from './task-api.js';
import { TERMINAL, type TaskRecord, TaskStore } from './task.store.js';
import { TaskEndedError, TaskLimitError, TaskNotFoundError } from './tasks.errors.js';

export const TASK_STORE = Symbol('TASK_STORE');

/** Expired tasks are deleted this often (a lookup treats an expired task as gone at once). */
const SWEEP_EVERY_MS = 60_000;
const PAGE_SIZE = 50;
/** JSON-RPC internal error: the code of a task that failed without a result. */
const INTERNAL_ERROR = -32603;

export const RESTARTED_MESSAGE =
  'The satellite restarted while this task was running; the call did not finish and its result is lost. Run it again.';
export const SHUTDOWN_MESSAGE =
  'The satellite shut down while this task was running; the upstream call was cancelled. Run it again.';

interface Running {
  readonly controller: AbortController;
  readonly expiry: TimerHandle;
}

/**
 * The one engine behind both wires of tasks (docs/tasks.md): starts a tool call detached from
 * the request that asked for it, keeps its state and result in `tasks.sqlite`, and cancels or
 * expires it. Every lookup is by owner (ClientAccess.owner): another owner's task does not exist.
 */
@Injectable()
export class TasksService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(TasksService.name);
  private readonly running = new Map<string, Running>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly sweep: TimerHandle;

  constructor(
    private readonly config: SatelliteConfig,
    @Inject(TASK_STORE) private readonly store: TaskStore,
    private readonly clock: Clock,
  ) {
    // A task the previous run left running has no one working on it any more (docs/tasks.md
    // "Restarts").
    const failed = store.failRunning(RESTARTED_MESSAGE, clock.now());
    if (failed > 0) this.logger.warn(`${failed} task(s) left running by the previous run: failed`);
    store.expire(clock.now());
    this.sweep = clock.every(SWEEP_EVERY_MS, () => this.expire());
  }

  /** Starts `work` for `owner`; throws TaskLimitError past the owner's bounds. */
  start(owner: string, work: TaskWork, requestedTtlMs?: number | null): TaskRecord {
    const limits = this.config.tasks;
    this.expire();
    const held = this.store.usage(owner);
    if (held.tasks >= limits.maxPerOwner)
      throw new TaskLimitError(
        `Task limit reached: you hold ${held.tasks} tasks (at most ${limits.maxPerOwner}). ` +
          'Fetch or cancel some, or wait for them to expire, then try again.',
      );
    if (held.bytes >= limits.maxBytesPerOwner)
      throw new TaskLimitError(
        `Task storage full: your stored task results take ${held.bytes} bytes (at most ${limits.maxBytesPerOwner}). ` +
          'Let some expire, then try again.',
      );
    const now = this.clock.now();
    // null: "unlimited" (2025-11-25), which is the longest lifetime allowed here.
    const asked = requestedTtlMs === null ? limits.maxTtlMs : (requestedTtlMs ?? limits.ttlMs);
    const ttlMs = Math.min(Math.max(asked, 1000), limits.maxTtlMs);
    const task: TaskRecord = {
      id: randomUUID(),
      owner,
      label: work.label,
      origin: work.origin,
      status: 'working',
      createdAt: now,
      updatedAt: now,
      ttlMs,
      expiresAt: now + ttlMs,
      pollIntervalMs: limits.pollIntervalMs,
      ...(work.trace ? { traceparent: work.trace.traceparent } : {}),
    };
    this.store.insert(task);
    const controller = new AbortController();
    const expiry = this.clock.after(ttlMs, () =>
      controller.abort(new Error(`task ${task.id} expired after ${ttlMs} ms`)),
    );
    this.running.set(task.id, { controller, expiry });
    this.logger.debug(`task ${task.id} started: ${work.label} for ${owner}`);
    void this.run(task, work, controller.signal);
    return task;
  }

  get(owner: string, id: string): TaskRecord {
    const task = this.store.get(owner, id);
    if (!task || task.expiresAt <= this.clock.now()) throw new TaskNotFoundError(id);
    return task;
  }

  /** Cancels a running task: its signal aborts (the upstream gets notifications/cancelled). */
  cancel(owner: string, id: string): TaskRecord {
    const task = this.get(owner, id);
    if (TERMINAL.has(task.status)) throw new TaskEndedError(id, task.status);
    const run = this.running.get(id);
    this.end(task.id, { status: 'cancelled', statusMessage: 'Cancelled by the client.' });
    run?.controller.abort(new Error(`task ${id} cancelled by the client`));
    return this.get(owner, id);
  }

  /** The owner's tasks, oldest first, a page at a time. */
  list(owner: string, cursor?: string): { tasks: TaskRecord[]; nextCursor?: string } {
    const after = cursor ? decodeCursor(cursor) : { at: -1, id: '' };
    const now = this.clock.now();
    const page = this.store.list(owner, after, PAGE_SIZE + 1).filter((t) => t.expiresAt > now);
    const tasks = page.slice(0, PAGE_SIZE);
    const last = tasks.at(-1);
    return page.length > PAGE_SIZE && last
      ? { tasks, nextCursor: encodeCursor(last.createdAt, last.id) }
      : { tasks };
  }

  /** Resolves with the task once it has ended (2025-11-25 `tasks/result` blocks until then). */
  async ended(owner: string, id: string, signal: AbortSignal): Promise<TaskRecord> {
    for (;;) {
      const task = this.get(owner, id);
      if (TERMINAL.has(task.status)) return task;
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const set = this.waiters.get(id) ?? new Set();
        this.waiters.set(id, set);
        const wake = () => {
          set.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        set.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /** Graceful shutdown: running tasks are cancelled upstream and failed with a clear reason. */
  beforeApplicationShutdown(): void {
    this.sweep.cancel();
    for (const [id, run] of this.running) {
      this.end(id, {
        status: 'failed',
        error: { code: INTERNAL_ERROR, message: SHUTDOWN_MESSAGE },
      });
      run.controller.abort(new Error(SHUTDOWN_MESSAGE));
    }
  }

  onApplicationShutdown(): void {
    this.store.close();
  }

  private async run(task: TaskRecord, work: TaskWork, signal: AbortSignal): Promise<void> {
    try {
      const result = await work.run(signal);
      const json = JSON.stringify(result);
      const bytes = Buffer.byteLength(json);
      const { maxBytesPerOwner } = this.config.tasks;
      const held = this.store.usage(task.owner).bytes;
      if (held + bytes > maxBytesPerOwner) {
        this.end(task.id, {
          status: 'failed',
          error: {
            code: INTERNAL_ERROR,
            message: `The result (${bytes} bytes) does not fit in your task storage (${held} of ${maxBytesPerOwner} bytes used); it was dropped.`,
          },
        });
      } else {
        this.end(task.id, { status: 'completed', result: json });
      }
    } catch (err) {
      const message = signal.aborted
        ? String((signal.reason as Error | undefined)?.message ?? 'aborted')
        : (err as Error).message;
      const code =
        typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : INTERNAL_ERROR;
      this.end(task.id, { status: 'failed', error: { code, message } });
    }
  }

  /** Ends a task once (a late end of a cancelled task changes nothing) and wakes its waiters. */
  private end(
    id: string,
    end: {
      status: 'completed' | 'failed' | 'cancelled';
      statusMessage?: string;
      result?: string;
      error?: { code: number; message: string };
    },
  ): void {
    const run = this.running.get(id);
    this.running.delete(id);
    run?.expiry.cancel();
    if (this.store.isOpen() && this.store.finish(id, { ...end, at: this.clock.now() }))
      this.logger.log(`task ${id} ${end.status}${end.error ? `: ${end.error.message}` : ''}`);
    for (const wake of this.waiters.get(id) ?? []) wake();
    this.waiters.delete(id);
  }

  private expire(): void {
    if (!this.store.isOpen()) return;
    const removed = this.store.expire(this.clock.now());
    if (removed > 0) this.logger.debug(`${removed} expired task(s) deleted`);
  }
}

function encodeCursor(at: number, id: string): string {
  return Buffer.from(`${at}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const colon = text.indexOf(':');
  const at = Number(text.slice(0, colon));
  if (colon < 0 || !Number.isInteger(at)) throw new TaskNotFoundError(`cursor ${cursor}`);
  return { at, id: text.slice(colon + 1) };
}
