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
} from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { CallerContext } from './caller-context.js';
import { DiscoverService } from './discover.service.js';
import { DISCOVER_TOOL, EXECUTE_TOOL, META_TOOLS } from './meta-tools.js';
import { peerOfRequest } from './peers.js';
import { ToolExecutorService } from './tool-executor.service.js';

const INSTRUCTIONS =
  'This gateway exposes the tools of many MCP servers through two meta-tools. ' +
  'First call discover_mcp_tools with a short description of what you want to do; ' +
  'then call execute_mcp_tool with the tool_path of the best hit and arguments matching its input_schema.';

/** Builds the SDK `Server` behind one `/mcp` session: the two meta-tools, empty resources and prompts. */
@Injectable()
export class MetaToolServerFactory {
  constructor(
    private readonly config: SatelliteConfig,
    private readonly discover: DiscoverService,
    private readonly executor: ToolExecutorService,
  ) {}

  create(caller: CallerContext): Server {
    const server = new Server(
      {
        name: 'deploystack-satellite',
        title: 'DeployStack Satellite',
        version: this.config.version,
      },
      // logging: upstream log messages of an execute_mcp_tool call are relayed to its caller.
      {
        capabilities: { tools: {}, resources: {}, prompts: {}, logging: {} },
        instructions: INSTRUCTIONS,
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...META_TOOLS] }));
    server.setRequestHandler(ListResourcesRequestSchema, () => ({ resources: [] }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: [] }));
    server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: [] }));
    server.setRequestHandler(
      CallToolRequestSchema,
      async (request, extra): Promise<CallToolResult> => {
        const args = request.params.arguments ?? {};
        switch (request.params.name) {
          case DISCOVER_TOOL:
            return this.discover.discover(args, caller);
          case EXECUTE_TOOL: {
            const { tool_path: toolPath, arguments: toolArgs } = args;
            if (typeof toolPath !== 'string' || toolPath.trim() === '') {
              throw new McpError(
                ErrorCode.InvalidParams,
                'execute_mcp_tool: "tool_path" must be a non-empty string',
              );
            }
            if (typeof toolArgs !== 'object' || toolArgs === null || Array.isArray(toolArgs)) {
              throw new McpError(
                ErrorCode.InvalidParams,
                'execute_mcp_tool: "arguments" must be an object (use {} for a tool without parameters)',
              );
            }
            const progressToken = request.params._meta?.progressToken;
            return this.executor.execute(toolPath.trim(), toolArgs as Record<string, unknown>, {
              caller,
              signal: extra.signal,
              ...(progressToken !== undefined ? { progressToken } : {}),
              sendProgress: (params) =>
                extra.sendNotification({ method: 'notifications/progress', params }),
              peer: peerOfRequest(server, extra),
              ...(server.getClientVersion() ? { client: server.getClientVersion() } : {}),
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
}
