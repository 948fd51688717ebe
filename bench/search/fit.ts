// Fits the exponents of the ranking's factors (`factorWeights`, docs/search.md "Learned
// combination") by coordinate ascent on MRR@10, with folds by server:
//   ABLATE_BOTH_QUERIES=bench/data/tool-search-agent/queries.jsonl \
//   node --experimental-strip-types --import ./bench/search/ts-resolve.ts bench/search/fit.ts \
//     [--factors=coverage,phrase,…] [--grid=0.5,1,2] [--start='{"clause":0.5}'] \
//     [--learner=pairwise --l2=0.1] ['{index options}']
// The dev set, the unseen (extra) set and, with ABLATE_BOTH_QUERIES, the agent-style set over both
// catalogs are pooled; their 27 servers are split into 3 folds by server over all their queries
// (`serverFolds`), so no server is in two folds. For each fold: weights fitted on the other two
// folds' queries of all sets, scored on this fold's; printed per set and fold against the weights
// given (the hand-set ones by default). Last, the weights fitted on all folds, to ship.
// Scores are re-computed from each hit's factors (`explain`) over the first 100 hits of one
// search per query, so a fit takes seconds; check the result with ablate.ts.
import {
  DEFAULT_FACTOR_WEIGHTS,
  RANKING_FACTORS,
  type RankingFactor,
  type ToolSearchIndexOptions,
} from '../../src/router/search/search-options.js';
import { ToolSearchIndex } from '../../src/router/search/tool-search-index.js';
import {
  type BenchQuery,
  type Catalog,
  CATALOG_FILE,
  EXTRA_CATALOG_FILE,
  EXTRA_QUERIES_FILE,
  indexedTools,
  loadCatalog,
  loadQueries,
  QUERIES_FILE,
  serverFolds,
  serverOfQuery,
} from './bench-data.js';
import { quality } from './metrics.js';

const FOLDS = 3;
const DEPTH = 100;
/** Values each exponent may take; the ascent moves one exponent at a time to its best value. */
const DEFAULT_GRID = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4];
const MAX_PASSES = 6;

const arg = (name: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const GRID = arg('grid')?.split(',').map(Number) ?? DEFAULT_GRID;
const options = JSON.parse(
  process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '{}',
) as ToolSearchIndexOptions;
/** The factors fitted; `lexical` stays at 1 (scaling every exponent alike changes no order). */
const fitted = (arg('factors')?.split(',') ?? RANKING_FACTORS).filter(
  (f): f is RankingFactor => f !== 'lexical' && (RANKING_FACTORS as readonly string[]).includes(f),
);
const defaults: Record<RankingFactor, number> = {
  ...DEFAULT_FACTOR_WEIGHTS,
  ...options.factorWeights,
  ...(JSON.parse(arg('start') ?? '{}') as Partial<Record<RankingFactor, number>>),
};

interface Sample {
  readonly set: string;
  readonly server: string;
  readonly expected: ReadonlySet<string>;
  readonly paths: string[];
  /** log of each factor, hit by hit: logs[h * F + f]. */
  readonly logs: Float64Array;
}

const F = RANKING_FACTORS.length;

function samples(
  set: string,
  catalogs: readonly string[],
  queries: readonly BenchQuery[],
): Sample[] {
  const catalog: Catalog = Object.assign({}, ...catalogs.map((f) => loadCatalog(f)));
  const slugs = Object.keys(catalog);
  // The factors are read at every factor's weight 1, so that the hits fetched are the same for
  // every weighting tried (the first DEPTH by the hand-set product).
  const index = new ToolSearchIndex({ ...options, factorWeights: {} });
  for (const [slug, tools] of Object.entries(catalog))
    index.replaceServer(slug, indexedTools(slug, tools));
  return queries.map((q) => {
    const hits = index.search({ query: q.query, limit: DEPTH, explain: true }).hits;
    const logs = new Float64Array(hits.length * F);
    hits.forEach((h, i) =>
      RANKING_FACTORS.forEach((f, k) => {
        logs[i * F + k] = Math.log(Math.max(h.factors?.[f] ?? 1, 1e-12));
      }),
    );
    return {
      set,
      server: serverOfQuery(q, slugs),
      expected: new Set(q.expected),
      paths: hits.map((h) => h.tool.path),
      logs,
    };
  });
}

/** 1-based rank of the first expected tool under these exponents, undefined past 10. */
function rank(s: Sample, w: Float64Array): number | undefined {
  const n = s.paths.length;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k < F; k++) v += w[k] * s.logs[i * F + k];
    scores[i] = v;
  }
  let best: number | undefined;
  for (let i = 0; i < n; i++)
    if (s.expected.has(s.paths[i]) && (best === undefined || better(i, best))) best = i;
  if (best === undefined) return undefined;
  let r = 1;
  for (let i = 0; i < n && r <= 10; i++) if (i !== best && better(i, best)) r++;
  return r <= 10 ? r : undefined;

  function better(a: number, b: number): boolean {
    return scores[a] > scores[b] || (scores[a] === scores[b] && s.paths[a] < s.paths[b]);
  }
}

const mrr = (list: readonly Sample[], w: Float64Array) => quality(list.map((s) => rank(s, w))).mrr;

function vector(weights: Record<RankingFactor, number>): Float64Array {
  return Float64Array.from(RANKING_FACTORS.map((f) => weights[f]));
}

/** Coordinate ascent from `start` on the pooled MRR of `train`; a move must gain to be taken. */
function fit(train: readonly Sample[], start: Float64Array): Float64Array {
  const w = Float64Array.from(start);
  let best = mrr(train, w);
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let moved = false;
    for (const f of fitted) {
      const k = RANKING_FACTORS.indexOf(f);
      const current = w[k];
      let bestValue = current;
      for (const value of GRID) {
        w[k] = value;
        const m = mrr(train, w);
        if (m > best + 1e-9) [best, bestValue, moved] = [m, value, true];
      }
      w[k] = bestValue;
    }
    if (!moved) break;
  }
  return w;
}

/**
 * A pairwise learner instead (`--learner=pairwise`): logistic loss on the score difference of the
 * expected tool and each tool ranked above it or beside it in the first 10, by gradient descent
 * from `start`, with an L2 pull towards `start` (`--l2=`), all exponents free.
 */
function fitPairwise(train: readonly Sample[], start: Float64Array): Float64Array {
  const l2 = Number(arg('l2') ?? '0.1');
  const pairs: Float64Array[] = [];
  for (const s of train) {
    const pos = s.paths.findIndex((p) => s.expected.has(p));
    if (pos < 0) continue;
    for (let i = 0; i < Math.min(s.paths.length, 10); i++) {
      if (s.expected.has(s.paths[i])) continue;
      const d = new Float64Array(F);
      for (let k = 0; k < F; k++) d[k] = s.logs[pos * F + k] - s.logs[i * F + k];
      pairs.push(d);
    }
  }
  const free = RANKING_FACTORS.map((f) => f === 'lexical' || fitted.includes(f));
  const w = Float64Array.from(start);
  const rate = 0.05;
  for (let step = 0; step < 400; step++) {
    const grad = new Float64Array(F);
    for (const d of pairs) {
      let margin = 0;
      for (let k = 0; k < F; k++) margin += w[k] * d[k];
      const g = -1 / (1 + Math.exp(margin));
      for (let k = 0; k < F; k++) grad[k] += (g * d[k]) / pairs.length;
    }
    for (let k = 0; k < F; k++) {
      if (!free[k]) continue;
      w[k] -= rate * (grad[k] + 2 * l2 * (w[k] - start[k]));
    }
  }
  return w.map((v) => Math.round(v * 100) / 100);
}

const learn = arg('learner') === 'pairwise' ? fitPairwise : fit;

const show = (w: Float64Array) => RANKING_FACTORS.map((f, k) => `${f} ${w[k]}`).join(', ');

const sets: Array<[string, string[], BenchQuery[]]> = [
  ['dev', [CATALOG_FILE], loadQueries(QUERIES_FILE)],
  ['extra', [EXTRA_CATALOG_FILE], loadQueries(EXTRA_QUERIES_FILE)],
];
if (process.env.ABLATE_BOTH_QUERIES)
  sets.push([
    'agent',
    [CATALOG_FILE, EXTRA_CATALOG_FILE],
    loadQueries(process.env.ABLATE_BOTH_QUERIES),
  ]);
const all = sets.flatMap(([label, catalogs, queries]) => samples(label, catalogs, queries));
const slugs = [
  ...new Set(sets.flatMap(([, catalogs]) => catalogs.flatMap((c) => Object.keys(loadCatalog(c))))),
];
const folds = serverFolds(
  sets.flatMap(([, , queries]) => queries),
  slugs,
  FOLDS,
);
const foldOf = (s: Sample) => folds.findIndex((f) => f.includes(s.server));
console.log(`folds by server: ${folds.map((f) => f.join(',')).join(' | ')}`);

const start = vector(defaults);
const heldOut = new Map<Sample, number | undefined>();
for (let f = 0; f < FOLDS; f++) {
  const w = learn(
    all.filter((s) => foldOf(s) !== f),
    start,
  );
  console.log(`fold ${f} fitted on the other folds: ${show(w)}`);
  for (const s of all) if (foldOf(s) === f) heldOut.set(s, rank(s, w));
}

const fmt = (q: ReturnType<typeof quality>) =>
  `${q.r1.toFixed(3)} / ${q.r5.toFixed(3)} / **${q.mrr.toFixed(3)}**`;
console.log(
  `\n| set | given R@1 / R@5 / MRR (MRR by fold) | fitted, held out R@1 / R@5 / MRR (MRR by fold) |`,
);
console.log('|---|---|---|');
for (const [label] of [...sets, ['all']] as Array<[string]>) {
  const of = all.filter((s) => label === 'all' || s.set === label);
  const given = of.map((s) => rank(s, start));
  const learned = of.map((s) => heldOut.get(s));
  const byFold = (r: Array<number | undefined>) =>
    Array.from({ length: FOLDS }, (_, f) =>
      quality(r.filter((_, i) => foldOf(of[i]) === f)).mrr.toFixed(3),
    ).join(' / ');
  console.log(
    `| ${label} | ${fmt(quality(given))} (${byFold(given)}) | ${fmt(quality(learned))} (${byFold(learned)}) |`,
  );
}
console.log(`\nfitted on all folds: ${show(learn(all, start))}`);
