// In-process benchmark of the tool search: ranking quality on the labelled dev queries, latency at
// ~400 and 10,000 tools, and the token cost of answers. No app, no network.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import MiniSearch from 'minisearch';
import { META_TOOLS } from '../../src/router/meta-tools.js';
import { shapeDiscoverAnswer } from '../../src/router/search/discover-answer.js';
import { countJsonTokens } from '../../src/discovery/token-counter.js';
import type { ToolSearchIndexOptions } from '../../src/router/search/search-options.js';
import { stemWord, splitWords } from '../../src/router/search/text-normaliser.js';
import { ToolSearchIndex } from '../../src/router/search/tool-search-index.js';
import {
  type BenchQuery,
  type Catalog,
  EXTRA_CATALOG_FILE,
  EXTRA_QUERIES_FILE,
  indexedTools,
  splitByServer,
  loadCatalog,
  loadQueries,
  replicate,
} from './bench-data.js';
import {
  formatQuality,
  median,
  percentile,
  quality,
  qualityTable,
  byWriter,
  rankOf,
  type Ranked,
} from './metrics.js';
import { withWordVectors } from './word-vectors.js';

const { values: args } = parseArgs({
  options: {
    options: { type: 'string' },
    misses: { type: 'boolean', default: false },
    'quality-only': { type: 'boolean', default: false },
  },
});
// `"wordVectors": true` in --options loads the word vectors (bench/search/word-vectors.ts).
const indexOptions = withWordVectors(
  (args.options ? JSON.parse(args.options) : {}) as ToolSearchIndexOptions,
);

const catalog = loadCatalog();
const queries = loadQueries();
const split = splitByServer(queries, catalog);
const toolCount = Object.values(catalog).reduce((n, tools) => n + tools.length, 0);

function buildIndex(
  servers: Iterable<[string, ReturnType<typeof indexedTools>]>,
  options: ToolSearchIndexOptions = indexOptions,
): ToolSearchIndex {
  const index = new ToolSearchIndex(options);
  for (const [id, tools] of servers) index.replaceServer(id, tools);
  return index;
}

function measureQuality(
  cat: Catalog,
  options: ToolSearchIndexOptions = indexOptions,
  qs: readonly BenchQuery[] = queries,
): Ranked[] {
  const index = buildIndex(
    Object.entries(cat).map(([slug, tools]) => [slug, indexedTools(slug, tools)]),
    options,
  );
  return qs.map((query) => {
    const returned = index.search({ query: query.query, limit: 10 }).hits.map((h) => h.tool.path);
    return { query, rank: rankOf(returned, query.expected), returned };
  });
}

function measureLatency(target: number): {
  tools: number;
  p50: number;
  p95: number;
  buildMs: number;
} {
  const t0 = performance.now();
  const index = buildIndex(replicate(catalog, target));
  const buildMs = performance.now() - t0;
  const run = () =>
    queries.map((q) => {
      const start = performance.now();
      index.search({ query: q.query, limit: 10 });
      return performance.now() - start;
    });
  run(); // warm-up: JIT and caches
  const times = [...run(), ...run(), ...run()];
  return { tools: index.size(), p50: percentile(times, 50), p95: percentile(times, 95), buildMs };
}

function answerTokens(): number[] {
  const index = buildIndex(
    Object.entries(catalog).map(([slug, tools]) => [slug, indexedTools(slug, tools)]),
  );
  return queries.map((q) => {
    const { hits, totalFound } = index.search({ query: q.query, limit: 5 });
    return countJsonTokens(shapeDiscoverAnswer({ query: q.query, hits, totalFound }));
  });
}

const ranked = measureQuality(catalog);
console.log(
  `\n## Ranking quality: ${queries.length} queries, ${toolCount} tools, ${Object.keys(catalog).length} servers (in-process)\n`,
);
console.log(formatQuality(qualityTable(ranked, split.isHeldOut)));
console.log(
  `\nTuning servers: ${split.tuning.join(', ')}.\nHeld-out servers: ${split.heldOut.join(', ')}.`,
);

if (args.misses) {
  // Only the tuning half: the held-out half is for checking that a change carries over.
  console.log('\n## Queries of the tuning servers whose expected tool is not first\n');
  for (const r of ranked.filter((x) => x.rank !== 1 && !split.isHeldOut(x.query))) {
    console.log(`${r.query.id} [${r.query.kind}] rank=${r.rank ?? '-'} "${r.query.query}"`);
    console.log(
      `   expected ${r.query.expected.join(', ')}; got ${r.returned.slice(0, 3).join(', ')}`,
    );
  }
}

// Plain BM25 for scale: MiniSearch's defaults over name and description, stemmed, with fuzzy and
// prefix matching: what the analysis, vocabulary and factors above it add.
function baseline(cat: Catalog, qs: readonly BenchQuery[]): Ranked[] {
  const index = new MiniSearch<{ id: string; name: string; description: string }>({
    fields: ['name', 'description'],
    tokenize: (text) => splitWords(text),
    processTerm: (term) => stemWord(term),
  });
  for (const [slug, tools] of Object.entries(cat))
    index.addAll(
      tools.map((t) => ({
        id: `${slug}-${t.name}`,
        name: `${slug} ${t.name}`,
        description: t.description ?? '',
      })),
    );
  return qs.map((query) => {
    const returned = index
      .search(query.query, { boost: { name: 2 }, fuzzy: 0.2, prefix: true })
      .slice(0, 10)
      .map((r) => String(r.id));
    return { query, rank: rankOf(returned, query.expected), returned };
  });
}
const mrr = (ranked: readonly Ranked[]) => quality(ranked.map((r) => r.rank)).mrr.toFixed(3);
console.log(`
Plain BM25 on the same set (MiniSearch defaults): MRR@10 ${mrr(baseline(catalog, queries))}.`);

// A second set nobody tuning the ranking had seen: other servers, queries written by someone who
// saw neither the ranking code nor the dev queries (bench/data/tool-search-extra/README.md).
// Scored as it is; only when the default set is the one above.
if (!process.env.TOOL_SEARCH_CATALOG && existsSync(EXTRA_CATALOG_FILE)) {
  const extraCatalog = loadCatalog(EXTRA_CATALOG_FILE);
  const extraQueries = loadQueries(EXTRA_QUERIES_FILE);
  const extraTools = Object.values(extraCatalog).reduce((n, tools) => n + tools.length, 0);
  const extraRanked = measureQuality(extraCatalog, indexOptions, extraQueries);
  console.log(
    `\n## Unseen set: ${extraQueries.length} queries, ${extraTools} tools, ${Object.keys(extraCatalog).length} other servers (in-process)\n`,
  );
  console.log(
    formatQuality(
      qualityTable(extraRanked, () => false).filter(([label]) => !label.endsWith('servers')),
    ),
  );
  console.log(
    `\nPlain BM25 on the unseen set: MRR@10 ${mrr(baseline(extraCatalog, extraQueries))}.`,
  );
}

if (!args['quality-only']) {
  console.log(
    `\n## Latency of one search (in-process, ${queries.length} queries × 3 rounds after a warm-up)\n`,
  );
  console.log('| tools | p50 ms | p95 ms | index build ms |\n|---:|---:|---:|---:|');
  const latency = [400, 10_000].map((target) => {
    const l = measureLatency(target);
    console.log(
      `| ${l.tools} | ${l.p50.toFixed(3)} | ${l.p95.toFixed(3)} | ${l.buildMs.toFixed(0)} |`,
    );
    return l;
  });

  const tokens = answerTokens();
  const fullList = countJsonTokens({ tools: Object.values(catalog).flat() });
  const metaList = countJsonTokens({ tools: META_TOOLS });
  console.log('\n## Tokens (o200k_base)\n');
  console.log(
    `- \`limit: 5\` answer (structuredContent JSON): median ${median(tokens)}, p95 ${percentile(tokens, 95)}, max ${Math.max(...tokens)}`,
  );
  console.log(`- tools/list of /mcp (two meta-tools): ${metaList}`);
  console.log(`- tools/list of the whole catalog (${toolCount} tools): ${fullList}`);
  console.log(`- ratio: ${((100 * metaList) / fullList).toFixed(2)}%`);

  const { agents, people } = byWriter(ranked);
  const check = (ok: boolean, what: string) => console.log(`- ${ok ? 'met' : 'NOT met'}: ${what}`);
  // Issue 13's targets hold for unseen data: on a set tuned on they are a reference only.
  console.log('\n## Targets (issue 13; they count on unseen data only)\n');
  if (people.n > 0) {
    check(
      people.r5 >= 0.93,
      `people's queries (${people.n}): recall@5 ≥ 0.93 (${people.r5.toFixed(3)})`,
    );
    check(
      people.mrr >= 0.8,
      `people's queries (${people.n}): MRR@10 ≥ 0.80 (${people.mrr.toFixed(3)})`,
    );
  }
  if (agents.n > 0) {
    check(
      agents.r5 >= 0.8,
      `agents' queries (${agents.n}): recall@5 ≥ 0.80 (${agents.r5.toFixed(3)})`,
    );
    check(
      agents.mrr >= 0.65,
      `agents' queries (${agents.n}): MRR@10 ≥ 0.65 (${agents.mrr.toFixed(3)})`,
    );
  }
  check(latency[0].p95 <= 5, `p95 ≤ 5 ms at ~400 tools (${latency[0].p95.toFixed(2)} ms)`);
  check(latency[1].p95 <= 30, `p95 ≤ 30 ms at 10,000 tools (${latency[1].p95.toFixed(2)} ms)`);
  check(median(tokens) <= 2000, `limit-5 answer ≤ 2,000 tokens, median (${median(tokens)})`);
  check(
    metaList / fullList <= 0.01,
    `/mcp tools/list ≤ 1% of the full list (${((100 * metaList) / fullList).toFixed(2)}%)`,
  );
}
