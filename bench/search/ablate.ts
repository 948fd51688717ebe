// Ablation of the ranking's components on both sets (docs/search-tuning.md):
//   node --experimental-strip-types --import ./bench/search/ts-resolve.ts bench/search/ablate.ts \
//     '{"base":{},"no phrases":{"phrases":false}}'
// The first entry is the reference; every other entry is scored against it. For each set (the dev
// set and the unseen set, each split into 3 folds by server, as `tune.ts` does) it prints
// recall@1, recall@5 and MRR@10 over all queries, and MRR per fold, so a change that only holds
// for some servers shows up as such.
// With `--misses=<fold>` it also lists, for the first entry, the queries of that fold only whose
// expected tool is not first (look at one fold's misses; judge a change on the other folds).
// `--kind=<kind>` scores only the queries of that kind (such as `task`).
// ABLATE_BOTH_QUERIES=queries.jsonl adds a set of queries over the two catalogs together.
// `"wordVectors": true` loads word vectors (word-vectors.ts).
import type { ToolSearchIndexOptions } from '../../src/router/search/search-options.js';
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
import { quality, rankOf } from './metrics.js';
import { withWordVectors } from './word-vectors.js';

const FOLDS = 3;
const missesArg = process.argv.find((a) => a.startsWith('--misses='));
const missesFold =
  missesArg === undefined ? undefined : Number(missesArg.slice('--misses='.length));
const kind = process.argv.find((a) => a.startsWith('--kind='))?.slice('--kind='.length);
const variants = Object.entries(
  JSON.parse(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? '{"base":{}}') as Record<
    string,
    ToolSearchIndexOptions
  >,
);

interface BenchSet {
  readonly label: string;
  readonly catalog: Catalog;
  readonly queries: BenchQuery[];
  readonly foldOf: (q: BenchQuery) => number;
}

function benchSet(
  label: string,
  catalogFile: string | readonly string[],
  queriesFile: string,
): BenchSet {
  const catalog: Catalog = Object.assign(
    {},
    ...(typeof catalogFile === 'string' ? [catalogFile] : catalogFile).map((f) => loadCatalog(f)),
  );
  const all = loadQueries(queriesFile);
  // `--kind=task`: only queries of that kind (folds are still made over all queries).
  const queries = kind === undefined ? all : all.filter((q) => q.kind === kind);
  const slugs = Object.keys(catalog);
  const folds = serverFolds(all, slugs, FOLDS);
  return {
    label,
    catalog,
    queries,
    foldOf: (q) => folds.findIndex((f) => f.includes(serverOfQuery(q, slugs))),
  };
}

const sets: BenchSet[] = [
  benchSet('dev', CATALOG_FILE, QUERIES_FILE),
  benchSet('extra', EXTRA_CATALOG_FILE, EXTRA_QUERIES_FILE),
];
// Another query set over both catalogs at once (the agent-style queries), when given.
if (process.env.ABLATE_BOTH_QUERIES) {
  sets.push(benchSet('both', [CATALOG_FILE, EXTRA_CATALOG_FILE], process.env.ABLATE_BOTH_QUERIES));
}

function ranks(
  set: BenchSet,
  options: ToolSearchIndexOptions,
  misses = false,
): Array<number | undefined> {
  const index = new ToolSearchIndex(withWordVectors(options));
  for (const [slug, tools] of Object.entries(set.catalog))
    index.replaceServer(slug, indexedTools(slug, tools));
  return set.queries.map((q) => {
    const returned = index.search({ query: q.query, limit: 10 }).hits.map((h) => h.tool.path);
    const rank = rankOf(returned, q.expected);
    if (misses && rank !== 1 && set.foldOf(q) === missesFold) {
      console.log(`${q.id} [${q.kind}] rank=${rank ?? '-'} "${q.query}"`);
      console.log(`   expected ${q.expected.join(', ')}; got ${returned.slice(0, 3).join(', ')}`);
    }
    return rank;
  });
}

if (missesFold !== undefined) {
  for (const set of sets) {
    console.log(`\n## ${set.label}, fold ${missesFold}: expected tool not first\n`);
    ranks(set, variants[0]?.[1] ?? {}, true);
  }
  console.log();
}
console.log(
  `| variant | ${sets.map((s) => `${s.label} R@1 | ${s.label} R@5 | ${s.label} MRR | ${s.label} MRR by fold`).join(' | ')} |`,
);
console.log(`|---|${sets.map(() => '---:|---:|---:|---|').join('')}`);
for (const [label, options] of variants) {
  const cells = sets.map((set) => {
    const r = ranks(set, options);
    const all = quality(r);
    const byFold = Array.from({ length: FOLDS }, (_, f) =>
      quality(r.filter((_, i) => set.foldOf(set.queries[i]) === f)).mrr.toFixed(3),
    );
    return `${all.r1.toFixed(3)} | ${all.r5.toFixed(3)} | ${all.mrr.toFixed(3)} | ${byFold.join(' / ')}`;
  });
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}
