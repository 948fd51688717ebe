// The optional semantic stage against an embeddings endpoint you have (docs/search.md, "Optional
// semantic stage"): the same queries ranked lexically, by embedding similarity alone, and fused,
// on the dev set and the unseen set. Nothing is bundled or downloaded; without an endpoint it
// says so and exits.
//   DEPLOYSTACK_EMBEDDINGS_URL=http://127.0.0.1:11434/v1 DEPLOYSTACK_EMBEDDINGS_MODEL=nomic-embed-text \
//     npm run bench:semantic
// SEMANTIC_WEIGHTS=0.3,1 adds fusions at those weights (the default is DEFAULT_SEMANTIC_WEIGHT).
import { EmbeddingClient } from '../../src/router/search/embedding-client.js';
import {
  DEFAULT_SEMANTIC_WEIGHT,
  HybridToolSearch,
} from '../../src/router/search/hybrid-tool-search.js';
import { ToolSearchIndex } from '../../src/router/search/tool-search-index.js';
import {
  type BenchQuery,
  type Catalog,
  EXTRA_CATALOG_FILE,
  EXTRA_QUERIES_FILE,
  indexedTools,
  loadCatalog,
  loadQueries,
} from './bench-data.js';
import { median, quality, rankOf } from './metrics.js';

const url = process.env.DEPLOYSTACK_EMBEDDINGS_URL;
const model = process.env.DEPLOYSTACK_EMBEDDINGS_MODEL;
if (!url || !model) {
  console.log(
    'bench:semantic needs an OpenAI-compatible endpoint: set DEPLOYSTACK_EMBEDDINGS_URL and ' +
      'DEPLOYSTACK_EMBEDDINGS_MODEL (and DEPLOYSTACK_EMBEDDINGS_API_KEY if it wants one).',
  );
  process.exit(0);
}
const apiKey = process.env.DEPLOYSTACK_EMBEDDINGS_API_KEY;
// Embedding a whole catalog on a laptop model takes longer than a query's 2 s may.
const embeddings = new EmbeddingClient({
  url,
  model,
  ...(apiKey ? { apiKey } : {}),
  timeoutMs: 120_000,
});
const weights = [
  DEFAULT_SEMANTIC_WEIGHT,
  ...(process.env.SEMANTIC_WEIGHTS ?? '').split(',').filter(Boolean).map(Number),
];
const fail = (err: unknown) => {
  throw err instanceof Error ? err : new Error(String(err));
};

async function measure(label: string, catalog: Catalog, queries: readonly BenchQuery[]) {
  const index = new ToolSearchIndex();
  for (const [slug, tools] of Object.entries(catalog))
    index.replaceServer(slug, indexedTools(slug, tools));
  // Semantic alone is a fusion with no lexical weight; each fusion embeds the catalog once.
  const rankings = [
    {
      name: 'semantic alone',
      hybrid: new HybridToolSearch({
        index,
        embeddings,
        lexicalWeight: 0,
        semanticWeight: 1,
        onFailure: fail,
      }),
    },
    ...weights.map((w) => ({
      name: `lexical + semantic × ${w}${w === DEFAULT_SEMANTIC_WEIGHT ? ' (default)' : ''}`,
      hybrid: new HybridToolSearch({ index, embeddings, semanticWeight: w, onFailure: fail }),
    })),
  ];
  const t0 = performance.now();
  for (const { hybrid } of rankings) await hybrid.refresh();
  const embedMs = (performance.now() - t0) / rankings.length;
  const paths = (hits: Array<{ tool: { path: string } }>) => hits.map((h) => h.tool.path);
  const lexical = queries.map((q) =>
    rankOf(paths(index.search({ query: q.query, limit: 10 }).hits), q.expected),
  );
  const row = (name: string, ranks: Array<number | undefined>) => {
    const s = quality(ranks);
    return `| ${label} | ${name} | ${s.r1.toFixed(3)} | ${s.r3.toFixed(3)} | ${s.r5.toFixed(3)} | ${s.mrr.toFixed(3)} |`;
  };
  console.log(row('lexical', lexical));
  const times: number[] = [];
  for (const { name, hybrid } of rankings) {
    const ranks: Array<number | undefined> = [];
    for (const q of queries) {
      const start = performance.now();
      const { hits } = await hybrid.search({ query: q.query, limit: 10 });
      times.push(performance.now() - start);
      ranks.push(rankOf(paths(hits), q.expected));
    }
    console.log(row(name, ranks));
  }
  return { embedMs, p50: median(times) };
}

console.log(`# Semantic stage: ${model} at ${url}\n`);
console.log(
  '| set | ranking | recall@1 | recall@3 | recall@5 | MRR@10 |\n|---|---|---:|---:|---:|---:|',
);
const dev = await measure('dev', loadCatalog(), loadQueries());
const unseen = await measure(
  'unseen',
  loadCatalog(EXTRA_CATALOG_FILE),
  loadQueries(EXTRA_QUERIES_FILE),
);
console.log(
  `\nEmbedding a catalog: ${dev.embedMs.toFixed(0)} ms (dev, 172 tools), ${unseen.embedMs.toFixed(0)} ms (unseen, 229 tools); one fused search p50 ${dev.p50.toFixed(1)} ms (the query's embedding included).`,
);
