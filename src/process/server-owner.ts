import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';

/**
 * What an operation on one server does. `add`, `remove` and `start` define the server's whole
 * state by themselves, so they supersede (abort) whatever runs or waits before them on the same
 * server; the others (`restart`, `refresh`, `retry`, `park`, `respawn`, `crash-restart`) just
 * take their turn.
 */
export type OwnedOp =
  | 'add'
  | 'remove'
  | 'start'
  | 'restart'
  | 'refresh'
  | 'retry'
  | 'park'
  | 'respawn'
  | 'crash-restart';

const SUPERSEDING: ReadonlySet<OwnedOp> = new Set<OwnedOp>(['add', 'remove', 'start']);

/** The running operation's handle: its abort signal fires when a later operation supersedes it. */
export interface OwnerLease {
  readonly id: string;
  readonly op: OwnedOp;
  readonly signal: AbortSignal;
  /** The operation that superseded this one (set when `signal` is aborted). */
  readonly supersededBy?: OwnedOp;
}

interface Entry extends OwnerLease {
  supersededBy?: OwnedOp;
  readonly controller: AbortController;
}

interface Lane {
  tail: Promise<void>;
  running?: Entry;
  readonly waiting: Entry[];
}

/**
 * The one owner of every server's life (docs/process.md "Lifecycle"): every path that starts,
 * replaces or stops a server (configuration applies, the file watcher, the backend's commands,
 * idle parking, respawns, crash restarts, discovery retries) runs as an operation on that
 * server's lane. Operations on one server id run one at a time, in the order they were asked
 * for; operations on different servers never wait for each other.
 *
 * An operation that defines the whole state (`add`, `remove`, `start`) aborts the one running
 * and the ones waiting before it (their `signal` fires, with `supersededBy` saying why), so a
 * removal never waits behind a 30 s handshake and the server always ends in the state of the
 * last operation. An operation that stops something finishes regardless of its signal.
 *
 * An operation may call another owned operation on the same server (the upstream manager's `add`
 * calls the process manager's `start`): that call runs inline, inside the running operation
 * (tracked with AsyncLocalStorage, and only while that operation is still running).
 */
@Injectable()
export class ServerOwner {
  private readonly lanes = new Map<string, Lane>();
  private readonly context = new AsyncLocalStorage<readonly Entry[]>();

  run<T>(id: string, op: OwnedOp, fn: (lease: OwnerLease) => Promise<T>): Promise<T> {
    const inside = this.insideRunning(id);
    if (inside) return fn(inside);

    const lane = this.lanes.get(id) ?? { tail: Promise.resolve(), waiting: [] };
    this.lanes.set(id, lane);
    if (SUPERSEDING.has(op)) {
      if (lane.running) supersede(lane.running, op);
      for (const waiting of lane.waiting) supersede(waiting, op);
    }
    const controller = new AbortController();
    const entry: Entry = { id, op, signal: controller.signal, controller };
    lane.waiting.push(entry);

    const result = lane.tail.then(() => {
      lane.waiting.splice(lane.waiting.indexOf(entry), 1);
      lane.running = entry;
      const stack = [...(this.context.getStore() ?? []), entry];
      return this.context.run(stack, () => fn(entry));
    });
    const tail: Promise<void> = result.then(finish, finish);
    function finish(): void {
      if (lane.running === entry) lane.running = undefined;
    }
    lane.tail = tail.then(() => {
      // The last operation asked for is done: the lane goes (idle servers cost nothing).
      if (this.lanes.get(id) === lane && lane.waiting.length === 0 && !lane.running)
        this.lanes.delete(id);
    });
    return result;
  }

  /**
   * Runs `fn` now if nothing runs or waits on the server, else skips it (returns undefined):
   * for optional work such as idle parking, which must never delay or race a real operation.
   */
  tryRun<T>(
    id: string,
    op: OwnedOp,
    fn: (lease: OwnerLease) => Promise<T>,
  ): Promise<T> | undefined {
    if (this.busy(id)) return undefined;
    return this.run(id, op, fn);
  }

  /** True while an operation runs or waits on the server. */
  busy(id: string): boolean {
    const lane = this.lanes.get(id);
    return lane !== undefined && (lane.running !== undefined || lane.waiting.length > 0);
  }

  /** The operation running on the server now, if any (the debug route shows it). */
  current(id: string): OwnedOp | undefined {
    return this.lanes.get(id)?.running?.op;
  }

  /**
   * Settles when every operation asked for so far on the server is done; undefined when there
   * is none, or when called from inside one of them (waiting there would wait for itself).
   */
  pending(id: string): Promise<void> | undefined {
    if (this.insideRunning(id) || !this.busy(id)) return undefined;
    return this.lanes.get(id)?.tail;
  }

  private insideRunning(id: string): Entry | undefined {
    const stack = this.context.getStore();
    if (!stack) return undefined;
    const running = this.lanes.get(id)?.running;
    return running && stack.includes(running) ? running : undefined;
  }
}

function supersede(entry: Entry, by: OwnedOp): void {
  if (entry.controller.signal.aborted) return;
  entry.supersededBy = by;
  entry.controller.abort(new SupersededError(entry.id, entry.op, by));
}

/** An operation was cut short because a later one on the same server defines its state. */
export class SupersededError extends Error {
  constructor(
    readonly serverId: string,
    readonly op: OwnedOp,
    readonly by: OwnedOp,
  ) {
    super(`${op} of server "${serverId}" was superseded by ${by}`);
    this.name = 'SupersededError';
  }
}

/** Why a process stopped when its start was superseded: the reason its terminated state shows. */
export function supersededReason(by: OwnedOp | undefined): string {
  return by === 'remove' ? 'removed' : 'replaced';
}
