import type { TraceContext } from '../router/trace-context.js';
import { Injectable } from '@nestjs/common';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { type CallerContext, canUse } from '../router/caller-context.js';
import { DiscoverService } from '../router/discover.service.js';
import { DISCOVER_DEFAULT_LIMIT } from '../router/meta-tools.js';
import type { DiscoverAnswer } from '../router/search/discover-answer.js';
import { unknownToolFailure } from '../router/tool-call-failure.js';
import { ToolExecutorService } from '../router/tool-executor.service.js';
import { ToolSearchService } from '../router/tool-search.service.js';
import { InvalidToolRequestError } from './rest.errors.js';
import { ToolArgumentsValidator } from './tool-arguments.validator.js';

/** `GET /api/tools/{tool_path}`: one tool as the caller may call it. */
export interface ToolDefinition {
  readonly tool_path: string;
  readonly server: string;
  readonly transport: string;
  readonly name: string;
  readonly title?: string;
  readonly description: string;
  readonly input_schema: unknown;
  readonly output_schema?: unknown;
  readonly annotations?: ToolAnnotations;
}

/** The query of `GET /api/tools`, as it came (strings). */
export interface ToolSearchParams {
  readonly query?: string;
  readonly server?: string;
  readonly limit?: string;
}

export interface ProgressEvent {
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
}

export interface RestCall {
  readonly toolPath: string;
  readonly args: Record<string, unknown>;
  readonly caller: CallerContext;
  /** Aborted when the client goes away: the upstream gets `notifications/cancelled`. */
  readonly signal: AbortSignal;
  /** Set when the client streams (`Accept: text/event-stream`): upstream progress goes here. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** W3C trace context of the request's headers (docs/tasks.md "Trace context"). */
  readonly trace?: TraceContext;
}

/**
 * The REST tool routes (docs/rest.md) on top of the router: the search of `discover_mcp_tools`,
 * and calls through the same executor as `execute_mcp_tool` (team rules, per-principal
 * concurrency, audit, metrics), with the arguments validated against the tool's input schema
 * before anything reaches the upstream.
 */
@Injectable()
export class RestToolsService {
  constructor(
    private readonly discover: DiscoverService,
    private readonly executor: ToolExecutorService,
    private readonly search: ToolSearchService,
    private readonly catalog: ToolCatalogService,
    private readonly validator: ToolArgumentsValidator,
  ) {}

  /** The answer of `discover_mcp_tools` for the same query; no query lists tools (`*`). */
  async find(params: ToolSearchParams, caller: CallerContext): Promise<DiscoverAnswer> {
    const { server } = params;
    const query = params.query ?? '*';
    let limit = DISCOVER_DEFAULT_LIMIT;
    if (params.limit !== undefined) {
      if (!/^\d+$/.test(params.limit))
        throw new InvalidToolRequestError('"limit" must be an integer from 1 to 50');
      limit = Number(params.limit);
    }
    const result = await this.discover.discover(
      { query, limit, ...(server !== undefined && server !== '' ? { server } : {}) },
      caller,
    );
    return result.structuredContent as unknown as DiscoverAnswer;
  }

  /** One tool's definition; an unknown path (or one of another team) fails with the closest paths. */
  definition(toolPath: string, caller: CallerContext): ToolDefinition {
    return definitionOf(this.entryOf(toolPath, caller));
  }

  /** Calls a tool through the router's executor; throws ToolCallFailure, InvalidArgumentsError. */
  call(c: RestCall): Promise<CallToolResult> {
    const { onProgress } = c;
    return this.executor.call(c.toolPath, c.args, {
      caller: c.caller,
      signal: c.signal,
      endpoint: 'rest',
      ...(c.trace ? { trace: c.trace } : {}),
      beforeCall: (entry) => this.validator.validate(entry, c.args),
      ...(onProgress ? { progressToken: 'rest' } : {}),
      sendProgress: ({ progress, total, message }) => {
        onProgress?.({
          progress,
          ...(total !== undefined ? { total } : {}),
          ...(message !== undefined ? { message } : {}),
        });
        return Promise.resolve();
      },
    });
  }

  /** Every tool the caller may use, by path. */
  visibleTools(caller: CallerContext): CatalogEntry[] {
    return [...this.catalog.all()]
      .filter((e) => canUse(caller, e))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  private entryOf(toolPath: string, caller: CallerContext): CatalogEntry {
    const entry = this.executor.resolve(toolPath, caller);
    if (!entry) throw unknownToolFailure(toolPath, this.search.suggest(toolPath, caller));
    return entry;
  }
}

export function definitionOf(entry: CatalogEntry): ToolDefinition {
  const { tool } = entry;
  return {
    tool_path: entry.path,
    server: entry.serverSlug,
    transport: entry.transport,
    name: tool.name,
    ...(tool.title ? { title: tool.title } : {}),
    description: tool.description ?? '',
    input_schema: tool.inputSchema,
    ...(tool.outputSchema ? { output_schema: tool.outputSchema } : {}),
    ...(tool.annotations ? { annotations: tool.annotations } : {}),
  };
}
