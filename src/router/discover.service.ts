import { Injectable } from '@nestjs/common';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { CallerContext } from './caller-context.js';
import { DISCOVER_DEFAULT_LIMIT, DISCOVER_MAX_LIMIT } from './meta-tools.js';
import { ToolSearchService } from './tool-search.service.js';

export interface DiscoveredTool {
  tool_path: string;
  server: string;
  transport: string;
  description: string;
  input_schema: unknown;
  score: number;
}

const MAX_DESCRIPTION = 400;

/** `discover_mcp_tools`: validates the arguments, searches, and shapes a small answer. */
@Injectable()
export class DiscoverService {
  constructor(
    private readonly search: ToolSearchService,
    private readonly metrics: MetricsService,
  ) {}

  discover(args: Record<string, unknown>, caller: CallerContext): CallToolResult {
    const { query, limit = DISCOVER_DEFAULT_LIMIT, server } = args;
    if (typeof query !== 'string' || query.trim() === '') {
      throw new McpError(
        ErrorCode.InvalidParams,
        'discover_mcp_tools: "query" must be a non-empty string ("*" lists tools)',
      );
    }
    if (
      typeof limit !== 'number' ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > DISCOVER_MAX_LIMIT
    ) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `discover_mcp_tools: "limit" must be an integer from 1 to ${DISCOVER_MAX_LIMIT}`,
      );
    }
    if (server !== undefined && typeof server !== 'string') {
      throw new McpError(
        ErrorCode.InvalidParams,
        'discover_mcp_tools: "server" must be a string (a server slug)',
      );
    }
    const stopTimer = this.metrics.discoverDuration.startTimer();
    const { hits, totalFound } = this.search.search({
      query: query.trim(),
      limit,
      ...(server ? { server } : {}),
      caller,
    });
    const tools: DiscoveredTool[] = hits.map(({ tool, score }) => ({
      tool_path: tool.path,
      server: tool.serverSlug,
      transport: tool.transport,
      description: trimDescription(tool.description),
      input_schema: tool.inputSchema,
      score: Math.round(score * 1000) / 1000,
    }));
    const structured = { tools, total_found: totalFound, query: query.trim() };
    stopTimer();
    return {
      content: [{ type: 'text', text: JSON.stringify(structured) }],
      structuredContent: structured,
    };
  }
}

/** Whitespace normalised, cut at a sentence or word boundary so a 5-hit answer stays small. */
export function trimDescription(text: string, max = MAX_DESCRIPTION): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const sentence = cut.lastIndexOf('. ');
  const end = sentence > max * 0.5 ? sentence + 1 : cut.lastIndexOf(' ');
  return `${cut.slice(0, end > 0 ? end : max).trimEnd()}…`;
}
