/** One tool as the search index sees it: the catalog entry flattened to what ranking and output need. */
export interface IndexedTool {
  /** Tool path, e.g. 'github-create_issue' (unique in the catalog). */
  readonly path: string;
  /** Instance id (unique per server instance). */
  readonly serverId: string;
  /** e.g. 'github'. */
  readonly serverSlug: string;
  readonly serverDescription?: string;
  readonly team: string;
  /** Per-user instance: only visible to that user. */
  readonly userId?: string;
  readonly transport: 'stdio' | 'http' | 'sse';
  /** Upstream tool name. */
  readonly name: string;
  readonly title?: string;
  /** As upstream gave it (trimmed only for output). */
  readonly description: string;
  /** As upstream gave it. */
  readonly inputSchema: unknown;
}
