// The frozen evaluation set's one report (bench/data/tool-search-fresh/README.md): servers and
// queries nobody tuning the ranking has seen. Ranks it with the shipped lexical ranking and with
// the opt-in local semantic stage fused at its default weight (DEPLOYSTACK_EMBEDDINGS_LOCAL;
// docs/search.md), and prints recall and MRR overall, for people's and agents' queries apart
// (issue 13's two targets), and per kind. Latency, tokens and plain BM25 on the same set:
// `TOOL_SEARCH_CATALOG=… TOOL_SEARCH_QUERIES=… npm run bench:search` (quality.bench.ts).
//   npm run bench:search-fresh
// Nothing here may be tuned on this set: it is run once, when a round of work is finished.
import { resolve } from 'node:path';
import { HybridToolSearch } from '../../src/router/search/hybrid-tool-search.js';
import { LocalEmbeddingProvider } from '../../src/router/search/local-embedding-provider.js';
import { ToolSearchIndex } from '../../src/router/search/tool-search-index.js';
import { type BenchQuery, indexedTools, loadCatalog, loadQueries } from './bench-data.js';
import { byWriter, type Quality, quality, type Ranked, rankOf } from './metrics.js';

const DIR = resolve(import.meta.dirname, '..', 'data', 'tool-search-fresh');
const catalog = loadCatalog(resolve(DIR, 'catalog.json'));
const queries = loadQueries(resolve(DIR, 'queries.jsonl'));

const index = new ToolSearchIndex();
for (const [slug, tools] of Object.entries(catalog))
  index.replaceServer(slug, indexedTools(slug, tools));
const paths = (hits: ReadonlyArray<{ tool: { path: string } }>) => hits.map((h) => h.tool.path);
const ranked = (query: BenchQuery, returned: string[]): Ranked => ({
  query,
  rank: rankOf(returned, query.expected),
  returned,
});

const lexical = queries.map((q) =>
  ranked(q, paths(index.search({ query: q.query, limit: 10 }).hits)),
);

const provider = new LocalEmbeddingProvider({ model: 'use-lite' });
const hybrid = new HybridToolSearch({ index, embeddings: provider });
await hybrid.refresh();
if (hybrid.state !== 'ready') throw new Error(`the local semantic stage is ${hybrid.state}`);
const fused: Ranked[] = [];
for (const q of queries)
  fused.push(ranked(q, paths((await hybrid.search({ query: q.query, limit: 10 })).hits)));
provider.close();

const f = (x: number) => x.toFixed(3);
const cells = (s: Quality) => `${s.n} | ${f(s.r1)} | ${f(s.r3)} | ${f(s.r5)} | ${f(s.mrr)}`;
const rows = (label: string, of: (r: readonly Ranked[]) => Quality) =>
  console.log(`| ${label} | ${cells(of(lexical))} | ${cells(of(fused))} |`);
const tools = Object.values(catalog).reduce((n, t) => n + t.length, 0);
console.log(
  `# Frozen set: ${queries.length} queries, ${tools} tools, ${Object.keys(catalog).length} servers\n`,
);
console.log(
  '| queries | n | R@1 | R@3 | R@5 | MRR@10 | n | fused R@1 | R@3 | R@5 | MRR@10 |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
);
const ranks = (r: readonly Ranked[]) => quality(r.map((x) => x.rank));
rows('all', ranks);
rows("people's", (r) => byWriter(r).people);
rows("agents'", (r) => byWriter(r).agents);
for (const kind of [...new Set(queries.map((q) => q.kind))].sort())
  rows(`kind: ${kind}`, (r) => ranks(r.filter((x) => x.query.kind === kind)));

const check = (ok: boolean, what: string) => console.log(`- ${ok ? 'met' : 'NOT met'}: ${what}`);
console.log('\n## Issue 13 targets, lexical ranking (the default)\n');
const { people, agents } = byWriter(lexical);
check(people.r5 >= 0.93, `people's queries: recall@5 ≥ 0.93 (${f(people.r5)})`);
check(people.mrr >= 0.8, `people's queries: MRR@10 ≥ 0.80 (${f(people.mrr)})`);
check(agents.r5 >= 0.8, `agents' queries: recall@5 ≥ 0.80 (${f(agents.r5)})`);
check(agents.mrr >= 0.65, `agents' queries: MRR@10 ≥ 0.65 (${f(agents.mrr)})`);
