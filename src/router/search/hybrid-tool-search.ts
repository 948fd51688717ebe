import { LRUCache } from 'lru-cache';
import type { EmbeddingProvider } from './embedding-provider.js';
import type { IndexedTool } from './indexed-tool.js';
import { cosine, relativeScoreFusion } from './rank-fusion.js';
import { splitDescription } from './tool-document.js';
import type { SearchAnswer, SearchOptions } from './search-options.js';
import type { ToolSearchIndex } from './tool-search-index.js';
import { splitWords } from './text-normaliser.js';

/**
 * The semantic ranking's weight against the lexical one's 1. Measured with the one model this
 * network reaches (Universal Sentence Encoder lite, docs/search.md): 0.5 kept the dev set's MRR
 * (0.887 → 0.871) and lifted the unseen set's (0.617 → 0.639); 1 cost the dev set 0.09.
 */
export const DEFAULT_SEMANTIC_WEIGHT = 0.5;

export interface HybridToolSearchOptions {
  readonly index: ToolSearchIndex;
  /** No provider: the lexical ranking alone (the default configuration). */
  readonly embeddings?: EmbeddingProvider;
  /** Query vectors kept (least recently used dropped), so a repeated query costs no embedding. Default 256; 0 keeps none. */
  readonly queryCacheSize?: number;
  /** Weights of the two rankings in the fusion. Defaults: lexical 1, semantic 0.5. */
  readonly lexicalWeight?: number;
  readonly semanticWeight?: number;
  /** How deep each ranking goes into the fusion. Default 50. */
  readonly depth?: number;
  /** After a failure the model is left alone this long; searches are lexical. Default 30 s. */
  readonly retryAfterMs?: number;
  /** Told once when the semantic stage starts failing (not again until it has recovered). */
  readonly onFailure?: (error: unknown) => void;
  /** Told when the model answers again after a failure. */
  readonly onRecovery?: () => void;
  readonly now?: () => number;
}

/** `off`: no model configured; `failing`: answers are lexical until the model answers again. */
export type SemanticState = 'off' | 'ready' | 'failing';

interface CachedVector {
  readonly text: string;
  readonly vector: number[];
}

/**
 * The optional semantic stage: lexical ranking (ToolSearchIndex) fused with embedding similarity
 * by relative score fusion (each ranking's scores scaled to 0..1, summed by weight). Tool vectors are computed in the background when the catalog changes
 * (`refresh`) and cached by tool text; a search embeds only the query, and a tool without a vector
 * yet is ranked lexically only; the vectors of recent queries are kept (an LRU). Any failure or timeout answers with the lexical ranking, so search
 * never depends on the model; after a failure the model is left alone for `retryAfterMs`.
 */
export class HybridToolSearch {
  private readonly options: HybridToolSearchOptions;
  private readonly vectors = new Map<string, CachedVector>();
  private readonly now: () => number;
  /** About 4 KiB a 512-dimension vector: 256 of them cost about 1 MiB. */
  private readonly queryVectors?: LRUCache<string, number[]>;
  private failing = false;
  private retryAt = 0;
  private refreshing?: Promise<void>;
  private refreshAgain = false;

  constructor(options: HybridToolSearchOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    const size = options.queryCacheSize ?? 256;
    if (options.embeddings && size > 0) this.queryVectors = new LRUCache({ max: size });
  }

  get state(): SemanticState {
    if (!this.options.embeddings) return 'off';
    return this.failing ? 'failing' : 'ready';
  }

  /** Tools that have a vector now. */
  get embedded(): number {
    return this.vectors.size;
  }

  async search(opts: SearchOptions): Promise<SearchAnswer> {
    const { index, embeddings } = this.options;
    const query = opts.query.trim();
    if (!embeddings || query === '*') return index.search(opts);
    const depth = Math.max(opts.limit, this.options.depth ?? 50);
    const lexical = index.search({ ...opts, limit: depth });
    const lexicalOnly = { ...lexical, hits: lexical.hits.slice(0, opts.limit) };
    let queryVector = this.queryVectors?.get(query);
    if (!queryVector) {
      if (!this.mayCall()) return lexicalOnly;
      try {
        [queryVector] = await embeddings.embed([query]);
      } catch (err) {
        this.failed(err);
        return lexicalOnly;
      }
      this.queryVectors?.set(query, queryVector);
      this.succeeded();
    }
    // Filters apply before ranking here too: only visible tools are compared.
    const semantic: Array<{ tool: IndexedTool; similarity: number }> = [];
    for (const tool of index.entries(opts)) {
      const cached = this.vectors.get(tool.path);
      if (cached) semantic.push({ tool, similarity: cosine(queryVector, cached.vector) });
    }
    if (semantic.length === 0) return lexicalOnly;
    semantic.sort((a, b) => b.similarity - a.similarity);
    const fused = relativeScoreFusion([
      {
        scores: new Map(lexical.hits.map((h) => [h.tool.path, h.score])),
        weight: this.options.lexicalWeight ?? 1,
      },
      {
        scores: new Map(semantic.slice(0, depth).map((s) => [s.tool.path, s.similarity])),
        weight: this.options.semanticWeight ?? DEFAULT_SEMANTIC_WEIGHT,
      },
    ]);
    const byPath = new Map<string, IndexedTool>();
    for (const h of lexical.hits) byPath.set(h.tool.path, h.tool);
    for (const s of semantic.slice(0, depth)) byPath.set(s.tool.path, s.tool);
    const hits = [...fused]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, opts.limit)
      .map(([path, score]) => ({ tool: byPath.get(path)!, score }));
    return { hits, totalFound: Math.max(lexical.totalFound, fused.size) };
  }

  /**
   * Embeds the tools of the index that have no vector for their current text, and forgets tools
   * that left it. One run at a time: a call during a run schedules one more run. Never rejects.
   */
  refresh(): Promise<void> {
    if (!this.options.embeddings) return Promise.resolve();
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const run = async (): Promise<void> => {
      do {
        this.refreshAgain = false;
        await this.embedMissing();
      } while (this.refreshAgain);
    };
    this.refreshing = run().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async embedMissing(): Promise<void> {
    const client = this.options.embeddings;
    if (!client || !this.mayCall()) return;
    const current = new Set<string>();
    const missing: Array<{ path: string; text: string }> = [];
    for (const tool of this.options.index.entries()) {
      current.add(tool.path);
      const text = embeddingText(tool);
      if (this.vectors.get(tool.path)?.text !== text) missing.push({ path: tool.path, text });
    }
    for (const path of this.vectors.keys()) if (!current.has(path)) this.vectors.delete(path);
    if (missing.length === 0) return;
    try {
      const fresh = await client.embed(missing.map((m) => m.text));
      missing.forEach((m, i) => this.vectors.set(m.path, { text: m.text, vector: fresh[i] }));
      this.succeeded();
    } catch (err) {
      this.failed(err);
    }
  }

  private mayCall(): boolean {
    return !this.failing || this.now() >= this.retryAt;
  }

  private failed(err: unknown): void {
    this.retryAt = this.now() + (this.options.retryAfterMs ?? 30_000);
    if (this.failing) return;
    this.failing = true;
    this.options.onFailure?.(err);
  }

  private succeeded(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.onRecovery?.();
    // Tools that changed while the model was failing still need their vectors.
    void this.refresh();
  }
}

/** What a tool is about, in words an embedding model reads well: server, name, title, lead. */
export function embeddingText(tool: IndexedTool): string {
  const name = splitWords(tool.name).join(' ');
  const title = tool.title ? ` (${tool.title})` : '';
  return `${tool.serverSlug}: ${name}${title}. ${splitDescription(tool.description).lead}`;
}
