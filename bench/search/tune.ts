// Development aid: one-at-a-time sweeps of the ranking options, scored by server so that a gain
// that only holds for the servers it was looked at shows up as such.
//   node --experimental-strip-types --import ./bench/search/ts-resolve.ts bench/search/tune.ts \
//     '{"serverBoost":[0,0.5,1]}' '{"fuzzy":0.2}'
// For each value: the tuning half and the held-out half (servers, as in the benchmark). Then a
// k-fold check by server (k = 3): for each fold, the value that is best (MRR) on the other folds'
// queries is scored on that fold's; the pooled result is what choosing by sweep is worth on
// servers nobody looked at. Choose a value only when the held-out half and the k-fold agree.
import type { ToolSearchIndexOptions } from '../../src/router/search/search-options.js';
import { ToolSearchIndex } from '../../src/router/search/tool-search-index.js';
import {
  type BenchQuery,
  indexedTools,
  loadCatalog,
  loadQueries,
  serverFolds,
  serverOfQuery,
  splitByServer,
} from './bench-data.js';
import { type Quality, quality, rankOf } from './metrics.js';
import { withWordVectors } from './word-vectors.js';

const FOLDS = 3;
const catalog = loadCatalog();
const slugs = Object.keys(catalog);
const queries = loadQueries();
const split = splitByServer(queries, catalog);
const folds = serverFolds(queries, slugs, FOLDS);
const foldOf = (q: BenchQuery) => folds.findIndex((f) => f.includes(serverOfQuery(q, slugs)));
const base = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;
const sweeps = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown[]>;

/** Rank of the expected tool for every query, under these options. */
function ranks(options: ToolSearchIndexOptions): Array<number | undefined> {
  const index = new ToolSearchIndex(withWordVectors(options));
  for (const [slug, tools] of Object.entries(catalog))
    index.replaceServer(slug, indexedTools(slug, tools));
  return queries.map((q) =>
    rankOf(
      index.search({ query: q.query, limit: 10 }).hits.map((h) => h.tool.path),
      q.expected,
    ),
  );
}

const of = (r: Array<number | undefined>, keep: (q: BenchQuery) => boolean): Quality =>
  quality(r.filter((_, i) => keep(queries[i])));
const fmt = (s: Quality) => `r1 ${s.r1.toFixed(3)} r5 ${s.r5.toFixed(3)} mrr ${s.mrr.toFixed(3)}`;

function report(label: string, r: Array<number | undefined>): void {
  const tuning = of(r, (q) => !split.isHeldOut(q));
  const held = of(r, split.isHeldOut);
  console.log(
    `${label}: all ${fmt(of(r, () => true))} | tuning ${fmt(tuning)} | held-out ${fmt(held)}`,
  );
}

console.log(`folds: ${folds.map((f) => f.join(',')).join(' | ')}`);
report(`base ${JSON.stringify(base)}`, ranks(base));
for (const [key, values] of Object.entries(sweeps)) {
  const results = values.map((value) => ranks({ ...base, [key]: value }));
  values.forEach((value, v) => report(`${key}=${JSON.stringify(value)}`, results[v]));
  // k-fold by server: choose on the other folds, score on this one.
  const pooled: Array<number | undefined> = [];
  const chosen: unknown[] = [];
  for (let f = 0; f < FOLDS; f++) {
    let best = 0;
    let bestMrr = -1;
    results.forEach((r, v) => {
      const mrr = of(r, (q) => foldOf(q) !== f).mrr;
      if (mrr > bestMrr) [best, bestMrr] = [v, mrr];
    });
    chosen.push(values[best]);
    results[best].forEach((rank, i) => {
      if (foldOf(queries[i]) === f) pooled.push(rank);
    });
  }
  console.log(
    `${key}: ${FOLDS}-fold by server chose ${JSON.stringify(chosen)} → ${fmt(quality(pooled))}`,
  );
}
