// Development aid: one-at-a-time sweeps of the ranking options, scored on the tuning half (odd
// ids) and the held-out half (even ids) of the dev queries. Choose a value only when both halves
// agree; a gain on one half alone is tuning to those queries.
//   node --experimental-strip-types --import ./bench/search/ts-resolve.ts bench/search/tune.ts '{"serverBoost":[0,1,2]}'
import {
  ToolSearchIndex,
  type ToolSearchIndexOptions,
} from '../../src/router/search/tool-search-index.js';
import { indexedTools, isHeldOut, loadCatalog, loadQueries } from './bench-data.js';
import { quality, rankOf } from './metrics.js';

const catalog = loadCatalog();
const queries = loadQueries();
const base = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;
const sweeps = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown[]>;

function evaluate(options: ToolSearchIndexOptions): string {
  const index = new ToolSearchIndex(options);
  for (const [slug, tools] of Object.entries(catalog))
    index.replaceServer(slug, indexedTools(slug, tools));
  const ranks = queries.map((q) => ({
    q,
    rank: rankOf(
      index.search({ query: q.query, limit: 10 }).hits.map((h) => h.tool.path),
      q.expected,
    ),
  }));
  const fmt = (held: boolean) => {
    const s = quality(ranks.filter((r) => isHeldOut(r.q) === held).map((r) => r.rank));
    return `r1 ${s.r1.toFixed(3)} r5 ${s.r5.toFixed(3)} mrr ${s.mrr.toFixed(3)}`;
  };
  return `tuning: ${fmt(false)} | held-out: ${fmt(true)}`;
}

console.log(`base ${JSON.stringify(base)}: ${evaluate(base)}`);
for (const [key, values] of Object.entries(sweeps)) {
  for (const value of values) {
    console.log(`${key}=${JSON.stringify(value)}: ${evaluate({ ...base, [key]: value })}`);
  }
}
