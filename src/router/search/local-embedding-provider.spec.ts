// The local embedding model (Universal Sentence Encoder lite) in its worker thread, for real: unit
// vectors of 512 dimensions, meaning over words, the query LRU, the thread's idle end and restart,
// and the lexical fallback when the thread cannot load or crashes.
import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { waitFor } from '../../../test/support/satellite.js';
import { ROOT } from '../../../test/support/upstreams.js';
import { HybridToolSearch } from './hybrid-tool-search.js';
import type { IndexedTool } from './indexed-tool.js';
import { LocalEmbeddingProvider, USE_LITE_MODULES } from './local-embedding-provider.js';
import { cosine } from './rank-fusion.js';
import { ToolSearchIndex } from './tool-search-index.js';

const FIXTURES = resolve(ROOT, 'test', 'fixtures', 'local-embeddings');
/** Model load about 1 s, a tool text about 37 ms on a busy machine; generous. */
const SLOW = 180_000;

// The model is an optional dependency: an install with --omit=optional has no model to test.
const installed = (() => {
  try {
    createRequire(import.meta.url).resolve(USE_LITE_MODULES.weights);
    return true;
  } catch {
    return false;
  }
})();
const withModel = installed ? describe : describe.skip;
const modelTitle = installed
  ? 'LocalEmbeddingProvider with the real model'
  : `LocalEmbeddingProvider with the real model [skipped: ${USE_LITE_MODULES.weights} is not installed]`;

function tool(name: string, description: string): IndexedTool {
  return {
    path: `srv-${name}`,
    serverId: 'srv',
    serverSlug: 'srv',
    team: 'a',
    transport: 'stdio',
    name,
    description,
    inputSchema: { type: 'object' },
  };
}

function buildIndex(): ToolSearchIndex {
  const index = new ToolSearchIndex();
  index.replaceServer('srv', [
    tool('get_forecast', 'Get the weather forecast for a city.'),
    tool('send_email', 'Send an email message to a recipient.'),
    tool('list_invoices', 'List the invoices of a customer.'),
    tool('delete_file', 'Delete a file from the disk.'),
  ]);
  return index;
}

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

withModel(modelTitle, () => {
  it(
    'embeds texts to 512-dimension unit vectors, similar sentences closer than unrelated ones',
    async () => {
      const provider = new LocalEmbeddingProvider({ model: 'use-lite' });
      try {
        const [a, b, c] = await provider.embed([
          'Will it rain in Paris tomorrow?',
          'What is the weather forecast for Paris?',
          'Remove the old log file from the disk.',
        ]);
        for (const v of [a, b, c]) {
          expect(v).toHaveLength(512);
          expect(norm(v)).toBeCloseTo(1, 3);
        }
        expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.1);
        expect(cosine(a, b)).toBeGreaterThan(cosine(b, c) + 0.1);
        // More texts than one batch come back one per text, in order.
        const many = Array.from({ length: 19 }, (_, i) => `sentence number ${i}`);
        const vectors = await provider.embed(many);
        expect(vectors).toHaveLength(19);
        const [again] = await provider.embed([many[11]]);
        expect(cosine(again, vectors[11])).toBeCloseTo(1, 5);
        expect(provider.running).toBe(true);
      } finally {
        provider.close();
      }
    },
    SLOW,
  );

  it(
    'fuses with the lexical ranking, and a repeated query needs no embedding (LRU)',
    async () => {
      const provider = new LocalEmbeddingProvider({ model: 'use-lite' });
      const index = buildIndex();
      const hybrid = new HybridToolSearch({ index, embeddings: provider });
      await hybrid.refresh();
      expect(hybrid.state).toBe('ready');
      expect(hybrid.embedded).toBe(4);
      const query = { query: 'do I need an umbrella today', limit: 2 };
      // No word of the query is in the catalog: only the model ranks the forecast.
      expect(index.search(query).hits).toHaveLength(0);
      const first = await hybrid.search(query);
      expect(first.hits[0].tool.path).toBe('srv-get_forecast');
      // With the thread gone, the cached query vector still fuses and starts no thread.
      provider.close();
      expect(provider.running).toBe(false);
      expect(await hybrid.search(query)).toEqual(first);
      expect(provider.running).toBe(false);
      expect(hybrid.state).toBe('ready');
      // A new query starts the thread again.
      const other = await hybrid.search({ query: 'write to my accountant', limit: 1 });
      expect(other.hits).toHaveLength(1);
      expect(provider.running).toBe(true);
      provider.close();
    },
    SLOW,
  );

  it(
    'answers a query before the waiting batches of tool texts',
    async () => {
      const provider = new LocalEmbeddingProvider({ model: 'use-lite' });
      try {
        await provider.embed(['load the model']);
        const order: string[] = [];
        const tools = provider
          .embed(Array.from({ length: 48 }, (_, i) => `tool number ${i} does a thing`))
          .then(() => order.push('tools'));
        const first = provider.embed(['the first query']).then(() => order.push('first'));
        const second = provider.embed(['the second query']).then(() => order.push('second'));
        await Promise.all([tools, first, second]);
        expect(order).toEqual(['first', 'second', 'tools']);
      } finally {
        provider.close();
      }
    },
    SLOW,
  );

  it(
    'ends the thread after the idle period and restarts it on demand',
    async () => {
      const provider = new LocalEmbeddingProvider({ model: 'use-lite', idleMs: 300 });
      try {
        const [before] = await provider.embed(['restart me']);
        await waitFor(
          'the idle thread to end',
          () => (provider.running ? undefined : true),
          30_000,
        );
        const [after] = await provider.embed(['restart me']);
        expect(provider.running).toBe(true);
        expect(cosine(before, after)).toBeCloseTo(1, 5);
      } finally {
        provider.close();
      }
    },
    SLOW,
  );
});

describe('LocalEmbeddingProvider failures', () => {
  async function lexicalFallback(modules: { embeddings: string; weights: string }) {
    const failures: Error[] = [];
    const provider = new LocalEmbeddingProvider({ model: 'use-lite', modules });
    const index = buildIndex();
    const hybrid = new HybridToolSearch({
      index,
      embeddings: provider,
      onFailure: (e) => failures.push(e as Error),
    });
    await hybrid.refresh();
    expect(hybrid.state).toBe('failing');
    expect(hybrid.embedded).toBe(0);
    const query = { query: 'send an email', limit: 2 };
    expect(await hybrid.search(query)).toEqual(index.search(query));
    expect(await hybrid.search(query)).toEqual(index.search(query));
    expect(failures).toHaveLength(1);
    provider.close();
    return { message: failures[0].message, provider };
  }

  it('falls back to the lexical ranking when the model is not installed, and says so', async () => {
    const { message } = await lexicalFallback({
      embeddings: resolve(FIXTURES, 'no-such-package.cjs'),
      weights: resolve(FIXTURES, 'no-such-weights.cjs'),
    });
    expect(message).toMatch(/no-such-package\.cjs is not installed/);
    expect(message).toMatch(/--omit=optional/);
  });

  it(
    'falls back to the lexical ranking when the model cannot load in its thread',
    async () => {
      const broken = resolve(FIXTURES, 'broken-model.cjs');
      const { message } = await lexicalFallback({ embeddings: broken, weights: broken });
      expect(message).toMatch(/local embedding model: this model package is broken/);
    },
    SLOW,
  );

  it(
    'falls back to the lexical ranking when the thread crashes, and the next call gets a new one',
    async () => {
      const crashing = resolve(FIXTURES, 'crashing-model.cjs');
      const { message, provider } = await lexicalFallback({
        embeddings: crashing,
        weights: crashing,
      });
      expect(message).toMatch(/local embedding model: the worker thread exited with code 7/);
      expect(provider.running).toBe(false);
      await expect(provider.embed(['again'])).rejects.toThrow(/exited with code 7/);
      expect(provider.running).toBe(false);
    },
    SLOW,
  );
});
