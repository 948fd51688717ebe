import type { IndexedTool } from './indexed-tool.js';
import { normaliseWhitespace } from './text-normaliser.js';

/** One hit as `discover_mcp_tools` returns it (docs/protocol.md "`discover_mcp_tools`"). */
export interface DiscoveredTool {
  readonly tool_path: string;
  readonly server: string;
  readonly transport: string;
  readonly description: string;
  readonly input_schema: unknown;
  /** Higher is better; comparable within one answer only. */
  readonly score: number;
  /** Set when the tool's server is not usable right now: `starting`, `installing` or `error`. */
  readonly server_status?: string;
}

export interface DiscoverAnswer {
  readonly tools: DiscoveredTool[];
  readonly total_found: number;
  readonly query: string;
}

/** Long enough for what a tool does and its main caveat; usage essays are cut. */
export const MAX_DESCRIPTION_CHARS = 400;

/** The structured answer of `discover_mcp_tools`: small descriptions, schemas as upstream gave them. */
export function shapeDiscoverAnswer(opts: {
  query: string;
  hits: ReadonlyArray<{ tool: IndexedTool; score: number }>;
  totalFound: number;
  /** The server's status when it is not usable right now; undefined otherwise. */
  serverStatus?: (serverId: string) => string | undefined;
}): DiscoverAnswer {
  return {
    tools: opts.hits.map(({ tool, score }) => {
      const status = opts.serverStatus?.(tool.serverId);
      return {
        tool_path: tool.path,
        server: tool.serverSlug,
        transport: tool.transport,
        description: trimDescription(tool.description),
        input_schema: tool.inputSchema,
        score: Math.round(score * 1000) / 1000,
        ...(status ? { server_status: status } : {}),
      };
    }),
    total_found: opts.totalFound,
    query: opts.query,
  };
}

/** Whitespace normalised, cut at a sentence end (or else a word end) so answers stay small. */
export function trimDescription(text: string, max = MAX_DESCRIPTION_CHARS): string {
  const flat = normaliseWhitespace(text);
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const sentence = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('.\n'));
  const end = sentence > max * 0.5 ? sentence + 1 : cut.lastIndexOf(' ');
  return `${cut.slice(0, end > 0 ? end : max).trimEnd()}…`;
}
