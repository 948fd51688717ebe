import type { EmbeddingClient } from './embedding-client.js';
import type { IndexedTool } from './indexed-tool.js';
import { cosine, reciprocalRankFusion } from './rank-fusion.js';
import { splitDescription } from './tool-document.js';
import type { SearchAnswer, SearchOptions, ToolSearchIndex } from './tool-search-index.js';
import { splitWords } from './text-normaliser.js';

export interface HybridToolSearchOptions {
  readonly index: ToolSearchIndex;
  /** No client: the lexical ranking alone (the default configuration). */
  readonly embeddings?: EmbeddingClient;
  /** RRF weights of the two rankings. Defaults: lexical 1, semantic 1. */
  readonly lexicalWeight?: number;
  readonly semanticWeight?: number;
  /** How deep each ranking goes into the fusion. Default 50. */
  readonly depth?: number;
  /** Told when the semantic stage fails and the answer falls back to lexical ranking. */
  readonly onFallback?: (error: unknown) => void;
}

interface CachedVector {
  readonly text: string;
  readonly vector: number[];
}

/**
 * The optional semantic stage: lexical ranking (ToolSearchIndex) fused with embedding similarity
 * by reciprocal rank fusion. Tool vectors are computed once per tool text and cached; each search
 * embeds only the query. Any failure or timeout of the endpoint answers with the lexical ranking,
 * so search never depends on the endpoint being up.
 */
export class HybridToolSearch {
  private readonly options: HybridToolSearchOptions;
  private readonly vectors = new Map<string, CachedVector>();

  constructor(options: HybridToolSearchOptions) {
    this.options = options;
  }

  get semantic(): boolean {
    return this.options.embeddings !== undefined;
  }

  async search(opts: SearchOptions): Promise<SearchAnswer> {
    const { index, embeddings } = this.options;
    const query = opts.query.trim();
    const depth = Math.max(opts.limit, this.options.depth ?? 50);
    const lexical = index.search({ ...opts, limit: depth });
    if (!embeddings || query === '*')
      return { ...lexical, hits: lexical.hits.slice(0, opts.limit) };
    try {
      // Filters apply before ranking here too: only visible tools are embedded and compared.
      const { visible, server } = opts;
      const tools = index
        .search({
          query: '*',
          limit: index.size(),
          ...(server !== undefined ? { server } : {}),
          ...(visible ? { visible } : {}),
        })
        .hits.map((h) => h.tool);
      const [queryVector] = await embeddings.embed([query]);
      const toolVectors = await this.vectorsOf(tools, embeddings);
      const semanticIds = tools
        .map((tool, i) => ({ path: tool.path, similarity: cosine(queryVector, toolVectors[i]) }))
        .sort((a, b) => b.similarity - a.similarity)
        .slice(0, depth)
        .map((s) => s.path);
      const fused = reciprocalRankFusion([
        { ids: lexical.hits.map((h) => h.tool.path), weight: this.options.lexicalWeight ?? 1 },
        { ids: semanticIds, weight: this.options.semanticWeight ?? 1 },
      ]);
      const byPath = new Map(tools.map((t) => [t.path, t]));
      const hits = [...fused]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, opts.limit)
        .map(([path, score]) => ({ tool: byPath.get(path)!, score }));
      return { hits, totalFound: Math.max(lexical.totalFound, fused.size) };
    } catch (err) {
      this.options.onFallback?.(err);
      return { ...lexical, hits: lexical.hits.slice(0, opts.limit) };
    }
  }

  /** Vectors of these tools, embedding only those whose text is new or changed. */
  private async vectorsOf(
    tools: readonly IndexedTool[],
    client: EmbeddingClient,
  ): Promise<number[][]> {
    const texts = tools.map(embeddingText);
    const missing = tools
      .map((t, i) => i)
      .filter((i) => this.vectors.get(tools[i].path)?.text !== texts[i]);
    if (missing.length > 0) {
      const fresh = await client.embed(missing.map((i) => texts[i]));
      missing.forEach((i, j) =>
        this.vectors.set(tools[i].path, { text: texts[i], vector: fresh[j] }),
      );
    }
    // Forget tools that left the catalog (bounded by what the index holds).
    if (this.vectors.size > this.options.index.size() * 2) this.prune(tools);
    return tools.map((t) => this.vectors.get(t.path)!.vector);
  }

  private prune(current: readonly IndexedTool[]): void {
    const keep = new Set(current.map((t) => t.path));
    for (const path of this.vectors.keys()) if (!keep.has(path)) this.vectors.delete(path);
  }
}

/** What a tool is about, in words an embedding model reads well: server, name, title, lead. */
export function embeddingText(tool: IndexedTool): string {
  const name = splitWords(tool.name).join(' ');
  const title = tool.title ? ` (${tool.title})` : '';
  return `${tool.serverSlug}: ${name}${title}. ${splitDescription(tool.description).lead}`;
}
