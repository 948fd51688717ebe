import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { distance } from 'fastest-levenshtein';
import { type EmbeddingsConfig, SatelliteConfig } from '../config/satellite-config.js';
import { SecretRedactor } from '../config/secret-redactor.js';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { Clock } from '../events/clock.js';
import { StatusContributors } from '../status/status-contributors.service.js';
import { type CallerContext, canUse } from './caller-context.js';
import { EmbeddingClient } from './search/embedding-client.js';
import { HybridToolSearch } from './search/hybrid-tool-search.js';
import { LocalEmbeddingProvider } from './search/local-embedding-provider.js';
import type { IndexedTool } from './search/indexed-tool.js';
import { ToolSearchIndex } from './search/tool-search-index.js';

export interface SearchHit {
  readonly tool: IndexedTool;
  readonly score: number;
}

export interface ToolSearchQuery {
  readonly query: string;
  readonly limit: number;
  readonly server?: string;
  readonly caller: CallerContext;
}

/**
 * Keeps the search index in step with the catalog (incrementally, per server) and queries it:
 * lexically, or fused with embedding similarity when an embeddings endpoint or the local model is
 * configured (`search.embeddings`, docs/search.md). A failing model costs one warning per outage,
 * and searches stay lexical meanwhile.
 */
@Injectable()
export class ToolSearchService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ToolSearchService.name);
  private readonly index = new ToolSearchIndex();
  private readonly hybrid: HybridToolSearch;
  private readonly provider?: EmbeddingClient | LocalEmbeddingProvider;
  private unsubscribe?: () => void;

  constructor(
    private readonly catalog: ToolCatalogService,
    config: SatelliteConfig,
    redactor: SecretRedactor,
    private readonly status: StatusContributors,
    clock: Clock,
  ) {
    const settings = config.search.embeddings;
    if (settings && 'apiKey' in settings && settings.apiKey)
      redactor.set('search:embeddings-api-key', [settings.apiKey]);
    this.provider = settings ? embeddingProviderOf(settings) : undefined;
    this.hybrid = new HybridToolSearch({
      index: this.index,
      now: () => clock.now(),
      ...(this.provider ? { embeddings: this.provider } : {}),
      ...(settings?.weight !== undefined ? { semanticWeight: settings.weight } : {}),
      onFailure: (err) =>
        this.logger.warn(
          `embedding model ${this.provider?.model} failed (${(err as Error).message}); tool search is lexical until it answers again`,
        ),
      onRecovery: () =>
        this.logger.log(
          `embedding model ${this.provider?.model} answers again; tool search is hybrid`,
        ),
    });
    if (this.provider)
      this.logger.log(`tool search fuses embeddings of model ${this.provider.model}`);
  }

  onModuleInit(): void {
    this.unsubscribe = this.catalog.subscribe((serverId, entries) => {
      if (entries) this.index.replaceServer(serverId, entries.map(toIndexed));
      else this.index.removeServer(serverId);
      void this.hybrid.refresh();
    });
    this.status.register('search', () => ({
      tools_indexed: this.index.size(),
      semantic: this.hybrid.state,
      ...(this.hybrid.state === 'off' ? {} : { tools_embedded: this.hybrid.embedded }),
    }));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    if (this.provider instanceof LocalEmbeddingProvider) this.provider.close();
  }

  /** The ranked tools the caller may use: filters first, then ranking, then the limit. */
  search(opts: ToolSearchQuery): Promise<{ hits: readonly SearchHit[]; totalFound: number }> {
    return this.hybrid.search(this.indexQuery(opts));
  }

  /**
   * The closest tool paths to a mistyped one, for "did you mean" answers: the visible paths within
   * a third of the path's length in edit distance (typos, transpositions), nearest first; when none
   * is that close, the best lexical hits for the path's words (a wrong server, a renamed tool).
   */
  suggest(toolPath: string, caller: CallerContext, limit = 3): string[] {
    const wanted = toolPath.toLowerCase();
    const maxDistance = Math.max(2, Math.floor(wanted.length / 3));
    const near: { path: string; d: number }[] = [];
    for (const entry of this.catalog.all()) {
      if (!canUse(caller, entry)) continue;
      const d = distance(wanted, entry.path.toLowerCase());
      if (d <= maxDistance) near.push({ path: entry.path, d });
    }
    if (near.length > 0) {
      return near
        .sort((a, b) => a.d - b.d || a.path.localeCompare(b.path))
        .slice(0, limit)
        .map((n) => n.path);
    }
    const words = toolPath.replace(/[-_:./]+/g, ' ');
    return this.index
      .search(this.indexQuery({ query: words, limit, caller }))
      .hits.map((h) => h.tool.path);
  }

  private indexQuery(opts: ToolSearchQuery) {
    const { caller } = opts;
    return {
      query: opts.query,
      limit: opts.limit,
      ...(opts.server ? { server: opts.server } : {}),
      visible: (t: IndexedTool) => canUse(caller, t),
    };
  }
}

function toIndexed(entry: CatalogEntry): IndexedTool {
  return {
    path: entry.path,
    serverId: entry.serverId,
    serverSlug: entry.serverSlug,
    ...(entry.serverDescription ? { serverDescription: entry.serverDescription } : {}),
    team: entry.team,
    ...(entry.userId ? { userId: entry.userId } : {}),
    transport: entry.transport,
    name: entry.tool.name,
    ...(entry.tool.title ? { title: entry.tool.title } : {}),
    description: entry.tool.description ?? '',
    inputSchema: entry.tool.inputSchema,
  };
}

/** The endpoint client, or the local model (its thread starts only when something is embedded). */
function embeddingProviderOf(settings: EmbeddingsConfig): EmbeddingClient | LocalEmbeddingProvider {
  if ('local' in settings) return new LocalEmbeddingProvider({ model: settings.local });
  return new EmbeddingClient({
    url: settings.url,
    model: settings.model,
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  });
}
