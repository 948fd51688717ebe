import type { Worker } from 'node:worker_threads';

/** A running thread and whatever was made with it (a message port). */
export interface WorkerHandle {
  readonly worker: Worker;
}

export interface IdleWorkerOptions<H extends WorkerHandle> {
  /** Starts a thread; called on first use and again after the thread ended. */
  readonly start: () => H;
  /** The thread ends after this long without work. */
  readonly idleMs: number;
  /** Told when a thread ends (idle, crashed, exited or stopped), with the error if it failed. */
  readonly stopped?: (handle: H, error?: Error) => void;
}

/**
 * A worker thread that lives only while there is work: started on first use, ended `idleMs` after
 * the last piece of work, replaced on the next use when it crashed or exited. The local embedding
 * model (router) keeps its model in such a thread only while it needs it. Memory a thread's isolate
 * used stays in the process after it ends (about 40 MB for the tokenizer's tables), so work that
 * is rare and short, such as token counting, runs in a short-lived process instead
 * (docs/benchmarks.md "Memory"). The thread is unref'd, so it never keeps the process alive.
 */
export class IdleWorker<H extends WorkerHandle> {
  private readonly options: IdleWorkerOptions<H>;
  private current?: H;
  private idle?: NodeJS.Timeout;

  constructor(options: IdleWorkerOptions<H>) {
    this.options = options;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  /** The running thread, started when there is none; no idle ending until `release`. */
  acquire(): H {
    clearTimeout(this.idle);
    if (this.current) return this.current;
    const handle = this.options.start();
    handle.worker.unref();
    handle.worker.on('error', (err: Error) => this.stop(handle, err));
    handle.worker.on('exit', (code) =>
      this.stop(handle, new Error(`the worker thread exited with code ${code}`)),
    );
    this.current = handle;
    return handle;
  }

  /** The work is done: the thread ends after `idleMs` unless it is acquired again. */
  release(): void {
    clearTimeout(this.idle);
    if (this.current) this.idle = setTimeout(() => this.stop(), this.options.idleMs).unref();
  }

  /** Ends the thread (only `which`, when given and still the current one). */
  stop(which: H | undefined = this.current, error?: Error): void {
    if (which === undefined || which !== this.current) return;
    clearTimeout(this.idle);
    this.current = undefined;
    this.options.stopped?.(which, error);
    void which.worker.terminate();
  }
}
