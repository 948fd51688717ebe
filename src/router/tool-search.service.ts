import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { distance } from 'fastest-levenshtein';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { type CallerContext, canUse } from './caller-context.js';
import type { IndexedTool } from './search/indexed-tool.js';
import { ToolSearchIndex } from './search/tool-search-index.js';

export interface SearchHit {
  readonly tool: IndexedTool;
  readonly score: number;
}

/** Keeps the search index in step with the catalog (incrementally, per server) and queries it. */
@Injectable()
export class ToolSearchService implements OnModuleInit, OnModuleDestroy {
  private readonly index = new ToolSearchIndex();
  private unsubscribe?: () => void;

  constructor(private readonly catalog: ToolCatalogService) {}

  onModuleInit(): void {
    this.unsubscribe = this.catalog.subscribe((serverId, entries) => {
      if (entries) this.index.replaceServer(serverId, entries.map(toIndexed));
      else this.index.removeServer(serverId);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  search(opts: { query: string; limit: number; server?: string; caller: CallerContext }): {
    hits: readonly SearchHit[];
    totalFound: number;
  } {
    const { caller } = opts;
    return this.index.search({
      query: opts.query,
      limit: opts.limit,
      ...(opts.server ? { server: opts.server } : {}),
      visible: (t) => canUse(caller, t),
    });
  }

  /**
   * The closest tool paths to a mistyped one, for "did you mean" answers: the visible paths within
   * a third of the path's length in edit distance (typos, transpositions), nearest first; when none
   * is that close, the best search hits for the path's words (a wrong server, a renamed tool).
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
    return this.search({ query: words, limit, caller }).hits.map((h) => h.tool.path);
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
