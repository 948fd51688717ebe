// Ablation of the ranking's components on both sets (docs/search-tuning.md):
//   node --experimental-strip-types --import ./bench/search/ts-resolve.ts bench/search/ablate.ts \
//     '{"base":{},"no phrases":{"phrases":false}}'
// The first entry is the reference; every other entry is scored against it. For each set (the dev
// set and the unseen set, each split into 3 folds by server, as `tune.ts` does) it prints
// recall@1, recall@5 and MRR@10 over all queries, and MRR per fold, so a change that only holds
// for some servers shows up as such. TOOL_SEARCH_BOTH_QUERIES=queries.jsonl adds a set of queries
// over the two catalogs together. `"wordVectors": true` loads word vectors (word-vectors.ts).
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
const variants = Object.entries(
  JSON.parse(process.argv[2] ?? '{"base":{}}') as Record<string, ToolSearchIndexOptions>,
);

interface BenchSet {
  readonly label: string;
  readonly catalog: Catalog;
  readonly queries: BenchQuery[];
  readonly foldOf: (q: BenchQuery) => number;
}

function benchSet(label: string, catalogFile: string, queriesFile: string): BenchSet {
  const catalog = loadCatalog(catalogFile);
  const queries = loadQueries(queriesFile);
  const slugs = Object.keys(catalog);
  const folds = serverFolds(queries, slugs, FOLDS);
  return {
    label,
    catalog,
    queries,
    foldOf: (q) => folds.findIndex((f) => f.includes(serverOfQuery(q, slugs))),
  };
}

const sets = [
  benchSet('dev', CATALOG_FILE, QUERIES_FILE),
  benchSet('extra', EXTRA_CATALOG_FILE, EXTRA_QUERIES_FILE),
];
// Another query set over both catalogs together (e.g. agent-style queries), when given.
if (process.env.TOOL_SEARCH_BOTH_QUERIES) {
  const both = { ...loadCatalog(CATALOG_FILE), ...loadCatalog(EXTRA_CATALOG_FILE) };
  const queries = loadQueries(process.env.TOOL_SEARCH_BOTH_QUERIES);
  const slugs = Object.keys(both);
  const folds = serverFolds(queries, slugs, FOLDS);
  sets.push({
    label: 'both',
    catalog: both,
    queries,
    foldOf: (q) => folds.findIndex((f) => f.includes(serverOfQuery(q, slugs))),
  });
}

function ranks(set: BenchSet, options: ToolSearchIndexOptions): Array<number | undefined> {
  const index = new ToolSearchIndex(withWordVectors(options));
  for (const [slug, tools] of Object.entries(set.catalog))
    index.replaceServer(slug, indexedTools(slug, tools));
  return set.queries.map((q) =>
    rankOf(
      index.search({ query: q.query, limit: 10 }).hits.map((h) => h.tool.path),
      q.expected,
    ),
  );
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
