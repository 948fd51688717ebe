// Development aid: how the lexical ranking reads a query and why each hit scores what it does.
//   node --experimental-strip-types --import ./bench/search/ts-resolve.ts bench/search/explain.ts \
//     "close GitHub issue #42" ["another query" …]
// `--options='{…}'` passes ranking options (`factorWeights` and the like).
// `doc:<server>/<tool>` prints the analysed document of one catalog tool instead.
import type { ToolSearchIndexOptions } from '../../src/router/search/search-options.js';
import { QueryAnalyser } from '../../src/router/search/query-analyser.js';
import { buildToolDocument } from '../../src/router/search/tool-document.js';
import { ToolSearchIndex } from '../../src/router/search/tool-search-index.js';
import { type Catalog, indexedTools, loadCatalog } from './bench-data.js';

// EXPLAIN_CATALOGS=a.json,b.json: these catalogs together (as for the agent-style queries).
const files = (process.env.EXPLAIN_CATALOGS ?? '').split(',').filter(Boolean);
const catalog: Catalog = Object.assign(
  {},
  ...(files.length > 0 ? files.map((f) => loadCatalog(f)) : [loadCatalog()]),
);
const optionsArg = process.argv.find((a) => a.startsWith('--options='));
const index = new ToolSearchIndex(
  optionsArg ? (JSON.parse(optionsArg.slice('--options='.length)) as ToolSearchIndexOptions) : {},
);
for (const [slug, tools] of Object.entries(catalog))
  index.replaceServer(slug, indexedTools(slug, tools));
const analyser = new QueryAnalyser();

for (const arg of process.argv.slice(2).filter((a) => !a.startsWith('--'))) {
  if (arg.startsWith('doc:')) {
    const [slug, name] = arg.slice(4).split('/');
    const tool = indexedTools(slug, catalog[slug] ?? []).find((t) => t.name === name);
    console.log(tool ? buildToolDocument(tool) : `no tool ${arg}`);
    continue;
  }
  const { concepts, action, label } = analyser.analyse(arg);
  console.log(`\n"${arg}": action ${action ?? '-'}, label [${label.join(' ')}]`);
  for (const c of concepts) {
    console.log(`  ${c.stem}: ${[...c.terms].map(([t, w]) => `${t} ${w.toFixed(2)}`).join(', ')}`);
  }
  for (const hit of index.search({ query: arg, limit: 8, explain: true }).hits) {
    const factors = Object.entries(hit.factors ?? {})
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(' · ');
    console.log(`  ${hit.score.toFixed(2).padStart(8)} ${hit.tool.path}  (${factors})`);
  }
}
