import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallerContext } from '../router/caller-context.js';

/** One client session on `/mcp`: its transport, its SDK server and who owns it. */
export interface McpSession {
  readonly id: string;
  readonly transport: StreamableHTTPServerTransport;
  readonly server: Server;
  readonly caller: CallerContext;
  /** Identity of the principal that created the session (another principal gets 404). */
  readonly owner: string;
  readonly createdAt: number;
  lastSeenAt: number;
}
