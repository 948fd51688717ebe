import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallerContext } from '../router/caller-context.js';
import type { SessionEventStore } from './session-event-store.js';

/** One client session: its transport (Streamable HTTP or legacy SSE), its SDK server, its owner. */
export interface McpSession {
  readonly id: string;
  /** `meta` for /mcp and /sse, `direct:{slug}` for /i/{slug}/mcp: an id is only valid where it was issued. */
  readonly endpoint: string;
  readonly transport: Transport;
  readonly server: Server;
  readonly caller: CallerContext;
  /** Identity of the principal that created the session (another principal gets 404). */
  readonly owner: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** What the session's streams carried, for resumption (Streamable HTTP sessions). */
  readonly events?: SessionEventStore;
  /** Serves one HTTP request of a Streamable HTTP session (absent for legacy SSE sessions). */
  readonly handle?: (req: IncomingMessage, res: ServerResponse, body: unknown) => Promise<void>;
  /** Releases what the session holds elsewhere (direct-endpoint bindings, subscriptions). */
  onClose?: () => void;
}
