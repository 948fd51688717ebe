import { Injectable, Optional } from '@nestjs/common';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { CallerContext } from './caller-context.js';
import { DISCOVER_DEFAULT_LIMIT, DISCOVER_MAX_LIMIT } from './meta-tools.js';
import { shapeDiscoverAnswer } from './search/discover-answer.js';
import { ToolSearchService } from './tool-search.service.js';

/** `discover_mcp_tools`: validates the arguments, searches, and shapes a small answer. */
@Injectable()
export class DiscoverService {
  constructor(
    private readonly search: ToolSearchService,
    private readonly metrics: MetricsService,
    // Optional: a unit spec runs the search without any server behind it.
    @Optional() private readonly upstreams?: UpstreamManagerService,
  ) {}

  async discover(args: Record<string, unknown>, caller: CallerContext): Promise<CallToolResult> {
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
    const { hits, totalFound } = await this.search.search({
      query: query.trim(),
      limit,
      ...(server ? { server } : {}),
      caller,
    });
    const structured = shapeDiscoverAnswer({
      query: query.trim(),
      hits,
      totalFound,
      serverStatus: (id) => this.serverStatus(id),
    });
    stopTimer();
    return {
      content: [{ type: 'text', text: JSON.stringify(structured) }],
      structuredContent: { ...structured },
    };
  }

  /**
   * `server_status` of a hit whose server is not usable right now, e.g. `starting` while a server
   * restored from the persisted catalog comes up (docs/protocol.md "`discover_mcp_tools`").
   */
  private serverStatus(serverId: string): string | undefined {
    const def = this.upstreams?.get(serverId)?.def;
    if (!def) return undefined;
    const { state } = this.upstreams.stateOf(def);
    return state === 'starting' || state === 'installing' || state === 'error' ? state : undefined;
  }
}
