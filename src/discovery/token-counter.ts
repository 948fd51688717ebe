import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { IdleWorker } from '../events/idle-worker.js';

/**
 * The o200k_base tokenizer (gpt-tokenizer's CommonJS build), resolved here but loaded only inside
 * the counting thread below.
 */
const TOKENIZER = createRequire(import.meta.url).resolve('gpt-tokenizer/encoding/o200k_base');
/** The counting thread ends after this long without work; the next count starts a new one. */
export const TOKEN_COUNTER_IDLE_MS = 2000;
/** A count that takes longer than this (a thread that cannot start) is an error. */
const ANSWER_TIMEOUT_MS = 120_000;

/**
 * The counting thread. Special-token markers (`<|endoftext|>`) inside a tool description are
 * plain text here: the tokenizer would otherwise throw on them, and an upstream controls its
 * descriptions.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, flag } = workerData;
const plain = { allowedSpecial: new Set(), disallowedSpecial: new Set() };
let countTokens;
let loadError;
try {
  ({ countTokens } = require(workerData.tokenizer));
} catch (err) {
  loadError = 'loading the tokenizer: ' + String((err && err.message) || err);
}
port.on('message', (texts) => {
  let answer;
  try {
    answer = loadError ? { error: loadError } : { counts: texts.map((t) => countTokens(t, plain)) };
  } catch (err) {
    answer = { error: String((err && err.message) || err) };
  }
  port.postMessage(answer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

/**
 * Counts tokens in a worker thread that lives only while there is counting to do. The o200k_base
 * ranks take about 20 MB of heap (a 4 MB source string, 200,000 rank strings and their map) and
 * counts are needed only when a server's tools are listed, so the satellite does not keep them
 * between listings (docs/benchmarks.md "Memory"). The calls stay synchronous: the caller waits
 * (`Atomics.wait`) for the thread's answer, one round trip per batch of texts; a cold start (a new
 * thread loading the ranks) takes a few hundred milliseconds, as loading them in-process did.
 */
class CountingThread {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly thread = new IdleWorker({
    idleMs: TOKEN_COUNTER_IDLE_MS,
    start: () => {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { tokenizer: TOKENIZER, port: port2, flag: this.flag },
        transferList: [port2],
        // Its own output only matters when it fails, which the answer reports.
        stdout: true,
        stderr: true,
      });
      return { worker, port: port1 };
    },
    // A thread that dies is replaced on the next count; its error went to the waiting count.
    stopped: ({ port }) => port.close(),
  });

  get running(): boolean {
    return this.thread.running;
  }

  count(texts: readonly string[]): number[] {
    if (texts.length === 0) return [];
    const { port } = this.thread.acquire();
    Atomics.store(this.flag, 0, 0);
    port.postMessage(texts);
    const waited = Atomics.wait(this.flag, 0, 0, ANSWER_TIMEOUT_MS);
    const answer = receiveMessageOnPort(port)?.message as
      { counts: number[]; error?: undefined } | { error: string } | undefined;
    if (waited === 'timed-out' || answer === undefined) {
      this.thread.stop();
      throw new Error(`token counter: no answer within ${ANSWER_TIMEOUT_MS} ms`);
    }
    this.thread.release();
    if (answer.error !== undefined) throw new Error(`token counter: ${answer.error}`);
    return answer.counts;
  }
}

const thread = new CountingThread();

/** True while the counting thread is alive (it ends TOKEN_COUNTER_IDLE_MS after its last count). */
export function tokenCounterRunning(): boolean {
  return thread.running;
}

/**
 * Tokens of `text` in the o200k_base encoding (GPT-4o, GPT-4.1, GPT-5, o-series): a close,
 * offline stand-in for what a tool costs in an agent's context window. gpt-tokenizer is pure
 * JavaScript, bundles its ranks (no network at run time) and is the fastest maintained BPE
 * tokenizer for Node measured here.
 */
export function countTokens(text: string): number {
  return thread.count([text])[0];
}

/** Tokens of a value as it travels in JSON (a tool definition, a search answer). */
export function countJsonTokens(value: unknown): number {
  return countTokens(JSON.stringify(value) ?? '');
}

/** `countJsonTokens` of each value, in one round trip to the counting thread. */
export function countJsonTokensOfEach(values: readonly unknown[]): number[] {
  return thread.count(values.map((value) => JSON.stringify(value) ?? ''));
}
