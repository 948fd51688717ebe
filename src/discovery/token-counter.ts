import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/**
 * The o200k_base tokenizer (gpt-tokenizer's CommonJS build), resolved here but loaded only inside
 * the counting process below.
 */
const TOKENIZER = createRequire(import.meta.url).resolve('gpt-tokenizer/encoding/o200k_base');
/** A count that takes longer than this (a process that cannot start) is an error. */
const ANSWER_TIMEOUT_MS = 120_000;
/** The counts of the largest listing fit in this (one number and a comma per text). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * The counting process: reads `{ tokenizer, texts }` as JSON on stdin, writes the counts as a JSON
 * array on stdout, exits. Special-token markers (`<|endoftext|>`) inside a tool description are
 * plain text here: the tokenizer would otherwise throw on them, and an upstream controls its
 * descriptions.
 */
const COUNTER_SOURCE = `
const { tokenizer, texts } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const { countTokens } = require(tokenizer);
const plain = { allowedSpecial: new Set(), disallowedSpecial: new Set() };
process.stdout.write(JSON.stringify(texts.map((t) => countTokens(t, plain))));
`;

/**
 * Counts tokens in a child process that lives for one batch of texts. The o200k_base ranks take
 * about 20 MB of heap (a 4 MB source string, 200,000 rank strings and their map) and counts are
 * needed only when a server's tools are listed, so the satellite never loads them itself. A
 * worker thread did the same job before, but the memory its isolate had used stayed in the
 * process after it ended (about 40 MB of idle RSS, docs/benchmarks.md "Memory"); a process hands
 * all of it back when it exits. The call stays synchronous, one process per batch; a count costs
 * a Node start and loading the ranks (the cold start the thread had), during which the caller
 * waits; `prefetchJsonTokens` does the same without blocking, and the counts it leaves are used
 * instead.
 */
function countInChild(texts: readonly string[]): number[] {
  if (texts.length === 0) return [];
  const run = spawnSync(process.execPath, ['-e', COUNTER_SOURCE], {
    input: JSON.stringify({ tokenizer: TOKENIZER, texts }),
    encoding: 'utf8',
    timeout: ANSWER_TIMEOUT_MS,
    maxBuffer: MAX_ANSWER_BYTES,
    // Nothing of the satellite's environment (NODE_OPTIONS, secrets) is needed to count.
    env: {},
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  if (run.error) throw new Error(`token counter: ${run.error.message}`);
  if (run.status !== 0) {
    const why = run.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 500);
    throw new Error(
      `token counter: the counting process ${run.signal ? `was killed (${run.signal})` : `exited with ${run.status}`}${why ? `: ${why}` : ''}`,
    );
  }
  const counts: unknown = JSON.parse(run.stdout);
  if (!Array.isArray(counts) || counts.length !== texts.length)
    throw new Error('token counter: the counting process answered something else than the counts');
  return counts as number[];
}

/** Counts of values (tool definitions) counted ahead by `prefetchJsonTokens`, for as long as they live. */
const counted = new WeakMap<object, number>();

/** Values waiting for the next counting process, with whoever waits for them. */
let queued: { values: object[]; done: Array<() => void> } | undefined;
/** Whether a counting process of `prefetchJsonTokens` runs now. */
let running = false;

/**
 * Counts `values` as `countJsonTokensOfEach` would, in a counting process that does not block
 * the event loop, and remembers each object's count for the synchronous call that follows (a
 * discovery prefetches a listing before handing it to the catalog). One counting process runs at
 * a time: what is asked for meanwhile (every server of a booting satellite) waits and goes into
 * the next one together, so a boot costs one or two processes, not one per server. Never fails:
 * what it could not count is counted synchronously when asked for.
 */
export function prefetchJsonTokens(values: readonly unknown[]): Promise<void> {
  const missing = values.filter(
    (v): v is object => typeof v === 'object' && v !== null && !counted.has(v),
  );
  if (missing.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    queued ??= { values: [], done: [] };
    queued.values.push(...missing);
    queued.done.push(resolve);
    if (!running) runQueued();
  });
}

function runQueued(): void {
  const batch = queued;
  queued = undefined;
  if (!batch) return;
  running = true;
  const values = [...new Set(batch.values)].filter((v) => !counted.has(v));
  countInChildAsync(values).then(
    (counts) => {
      if (counts) values.forEach((v, i) => counted.set(v, counts[i]));
      running = false;
      for (const done of batch.done) done();
      runQueued();
    },
    () => undefined,
  );
}

/** The counts of `values`, or undefined when the counting process failed. */
function countInChildAsync(values: readonly object[]): Promise<number[] | undefined> {
  if (values.length === 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', COUNTER_SOURCE], {
      env: {},
      stdio: ['pipe', 'pipe', 'ignore'],
      timeout: ANSWER_TIMEOUT_MS,
      windowsHide: true,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stdin.on('error', () => undefined);
    child.once('error', () => resolve(undefined));
    child.once('close', (code) => {
      try {
        const counts: unknown = code === 0 ? JSON.parse(out) : undefined;
        resolve(
          Array.isArray(counts) && counts.length === values.length
            ? (counts as number[])
            : undefined,
        );
      } catch {
        resolve(undefined);
      }
    });
    child.stdin.end(
      JSON.stringify({ tokenizer: TOKENIZER, texts: values.map((v) => JSON.stringify(v) ?? '') }),
    );
  });
}

/**
 * Tokens of `text` in the o200k_base encoding (GPT-4o, GPT-4.1, GPT-5, o-series): a close,
 * offline stand-in for what a tool costs in an agent's context window. gpt-tokenizer is pure
 * JavaScript, bundles its ranks (no network at run time) and is the fastest maintained BPE
 * tokenizer for Node measured here.
 */
export function countTokens(text: string): number {
  return countInChild([text])[0];
}

/** Tokens of a value as it travels in JSON (a tool definition, a search answer). */
export function countJsonTokens(value: unknown): number {
  return countTokens(JSON.stringify(value) ?? '');
}

/** `countJsonTokens` of each value, in one counting process. */
export function countJsonTokensOfEach(values: readonly unknown[]): number[] {
  const known = (v: unknown): number | undefined =>
    typeof v === 'object' && v !== null ? counted.get(v) : undefined;
  const missing = values.filter((v) => known(v) === undefined);
  const counts = countInChild(missing.map((value) => JSON.stringify(value) ?? ''));
  let next = 0;
  return values.map((v) => known(v) ?? counts[next++]);
}
