import { Injectable } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type CreateTaskResult,
} from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { countJsonTokensOfEach, prefetchJsonTokens } from '../discovery/token-counter.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { UsageService } from '../usage/usage.service.js';
import { type CallerContext, canUse } from './caller-context.js';
import { DiscoverService } from './discover.service.js';
import type { MetaTaskRunner } from './meta-task-runner.js';
import { LazySchemaValidator } from './lazy-schema-validator.js';
import { DISCOVER_TOOL, EXECUTE_TOOL, META_TOOLS, executeArguments } from './meta-tools.js';
import { peerOfRequest } from './peers.js';
import { ToolExecutorService } from './tool-executor.service.js';
import { traceContextOf } from './trace-context.js';

export const META_INSTRUCTIONS =
  'This gateway exposes the tools of many MCP servers through two meta-tools. ' +
  'First call discover_mcp_tools with a short description of what you want to do; ' +
  'then call execute_mcp_tool with the tool_path of the best hit and arguments matching its input_schema.';

/** logging: upstream log messages of an execute_mcp_tool call are relayed to its caller. */
const CAPABILITIES = { tools: {}, resources: {}, prompts: {}, logging: {} };
const noResources = () => ({ resources: [] });
const noResourceTemplates = () => ({ resourceTemplates: [] });
const noPrompts = () => ({ prompts: [] });
/** The meta-tools of a session whose calls may run as tasks: execute_mcp_tool says so. */
const META_TOOLS_WITH_TASKS = META_TOOLS.map((t) =>
  t.name === EXECUTE_TOOL ? { ...t, execution: { taskSupport: 'optional' as const } } : t,
);

/** Builds the SDK `Server` behind one `/mcp` session: the two meta-tools, empty resources and prompts. */
@Injectable()
export class MetaToolServerFactory {
  constructor(
    private readonly config: SatelliteConfig,
    private readonly discover: DiscoverService,
    private readonly executor: ToolExecutorService,
    private readonly catalog: ToolCatalogService,
    private readonly usage: UsageService,
  ) {
    this.info = {
      name: 'deploystack-satellite',
      title: 'DeployStack Satellite',
      version: config.version,
    };
    // Counted ahead, off the event loop, so the first session does not wait for the counter.
    void prefetchJsonTokens(META_TOOLS);
  }

  private readonly info: { name: string; title: string; version: string };

  /** `tasks`: given when calls may run as tasks (2025-11-25, docs/tasks.md). */
  create(caller: CallerContext, tasks?: MetaTaskRunner): Server {
    // What every session shares is built once (the info, the capabilities, the handlers that do
    // not depend on the caller); the validator is made on first use (docs/benchmarks.md "Memory").
    const server = new Server(this.info, {
      capabilities: CAPABILITIES,
      instructions: META_INSTRUCTIONS,
      jsonSchemaValidator: new LazySchemaValidator(),
    });
    tasks?.install(server);
    // execute_mcp_tool may run as a task; discover_mcp_tools answers at once.
    const tools = tasks ? META_TOOLS_WITH_TASKS : META_TOOLS;
    server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => {
      this.sessionSeen(extra.sessionId, caller);
      return { tools: [...tools] };
    });
    server.setRequestHandler(ListResourcesRequestSchema, noResources);
    server.setRequestHandler(ListResourceTemplatesRequestSchema, noResourceTemplates);
    server.setRequestHandler(ListPromptsRequestSchema, noPrompts);
    server.setRequestHandler(
      CallToolRequestSchema,
      async (request, extra): Promise<CallToolResult | CreateTaskResult> => {
        const args = request.params.arguments ?? {};
        this.sessionSeen(extra.sessionId, caller);
        switch (request.params.name) {
          case DISCOVER_TOOL: {
            const answer = await this.discover.discover(args, caller);
            this.usage.discoverAnswered(this.answerTokens(answer));
            return answer;
          }
          case EXECUTE_TOOL: {
            const { path, toolArgs } = executeArguments(args);
            const progressToken = request.params._meta?.progressToken;
            const trace = traceContextOf(request.params._meta, extra.requestInfo?.headers);
            const common = {
              caller,
              peer: peerOfRequest(server, extra),
              ...(server.getClientVersion() ? { client: server.getClientVersion() } : {}),
              ...(trace ? { trace } : {}),
            };
            if (request.params.task) {
              if (!tasks || !server.getClientCapabilities()?.tasks)
                throw new McpError(
                  ErrorCode.InvalidRequest,
                  'execute_mcp_tool: a task was asked for, but tasks need the tasks capability declared in initialize',
                );
              // Detached from this request: its signal is the task's, its progress goes nowhere.
              return tasks.start(
                {
                  label: `execute_mcp_tool ${path}`,
                  origin: 'meta',
                  ...(trace ? { trace } : {}),
                  run: (signal) =>
                    this.executor.execute(path, toolArgs, {
                      ...common,
                      signal,
                      sendProgress: () => Promise.resolve(),
                      timeoutMs: this.config.tasks.runTimeoutMs,
                    }),
                },
                request.params.task.ttl,
              );
            }
            return this.executor.execute(path, toolArgs, {
              ...common,
              signal: extra.signal,
              ...(progressToken !== undefined ? { progressToken } : {}),
              sendProgress: (params) =>
                extra.sendNotification({ method: 'notifications/progress', params }),
            });
          }
          default:
            throw new McpError(
              ErrorCode.InvalidParams,
              `Unknown tool "${request.params.name}": this endpoint has only ${DISCOVER_TOOL} and ${EXECUTE_TOOL}`,
            );
        }
      },
    );
    return server;
  }

  /**
   * What a discover answer cost the agent, in tokens: the definitions of the tools it returned,
   * counted once when each was discovered (`tokenCount`), so nothing is tokenized per search.
   */
  answerTokens(answer: CallToolResult): number {
    const hits = (
      answer.structuredContent as { tools?: Array<{ tool_path?: unknown }> } | undefined
    )?.tools;
    let tokens = 0;
    for (const hit of hits ?? [])
      if (typeof hit.tool_path === 'string')
        tokens += this.catalog.get(hit.tool_path)?.tokenCount ?? 0;
    return tokens;
  }

  /**
   * Tokens saved (docs/usage.md "Tokens saved"): once per session, what listing every tool the
   * caller may use would cost, against the two meta-tools' definitions.
   */
  private sessionSeen(sessionId: string | undefined, caller: CallerContext): void {
    if (sessionId === undefined) return;
    this.usage.sessionSeen(sessionId, () => {
      let allTools = 0;
      for (const e of this.catalog.all()) if (canUse(caller, e)) allTools += e.tokenCount;
      return { allTools, metaTools: metaToolTokens() };
    });
  }
}

let metaToolTokenCount: number | undefined;

/**
 * Tokens of the meta-tool definitions `tools/list` returns, counted like catalog entries: on the
 * first session, not when the module loads (the counter is a process started on demand).
 */
function metaToolTokens(): number {
  metaToolTokenCount ??= countJsonTokensOfEach(META_TOOLS).reduce((sum, n) => sum + n, 0);
  return metaToolTokenCount;
}
