import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';

export const DISCOVER_TOOL = 'discover_mcp_tools';
export const EXECUTE_TOOL = 'execute_mcp_tool';
export const DISCOVER_DEFAULT_LIMIT = 10;
export const DISCOVER_MAX_LIMIT = 50;

/**
 * The two meta-tools `/mcp` lists. Descriptions are static so that clients' prompt caches stay
 * valid (docs/protocol.md "`tools/list` on `/mcp`").
 */
export const META_TOOLS: readonly Tool[] = [
  {
    name: DISCOVER_TOOL,
    title: 'Discover MCP tools',
    description:
      'Search the tools of every MCP server available to you. Describe what you want to do in a few words ' +
      '(e.g. "create a github issue", "send a slack message"); each hit has a tool_path, a description and the ' +
      'input_schema to call it with execute_mcp_tool. Use query "*" to list tools, and "server" to search one server. ' +
      'score: higher is better, comparable within one answer.',
    inputSchema: {
      type: 'object',
      properties: {
        query: {
          type: 'string',
          minLength: 1,
          description: 'What you want to do, or "*" to list tools.',
        },
        limit: {
          type: 'integer',
          minimum: 1,
          maximum: DISCOVER_MAX_LIMIT,
          default: DISCOVER_DEFAULT_LIMIT,
          description: 'Maximum number of tools to return.',
        },
        server: { type: 'string', description: 'Only search the tools of this server (its slug).' },
      },
      required: ['query'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: EXECUTE_TOOL,
    title: 'Execute an MCP tool',
    description:
      'Call a tool found with discover_mcp_tools. Pass its tool_path (e.g. "github-create_issue") and its arguments ' +
      "as an object matching the tool's input_schema. Returns the tool's own result.",
    inputSchema: {
      type: 'object',
      properties: {
        tool_path: {
          type: 'string',
          minLength: 1,
          description: 'The tool_path from discover_mcp_tools.',
        },
        arguments: {
          type: 'object',
          description: 'The arguments of the tool ({} when it takes none).',
        },
      },
      required: ['tool_path', 'arguments'],
      additionalProperties: false,
    },
  },
];

/**
 * execute_mcp_tool's arguments, checked the same way in both protocol eras: a tool path and an
 * arguments object, or an invalid-params error that says what to send.
 */
export function executeArguments(args: Record<string, unknown>): {
  path: string;
  toolArgs: Record<string, unknown>;
} {
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
  return { path: toolPath.trim(), toolArgs: toolArgs as Record<string, unknown> };
}
