import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ServerDefinition } from '../config/server-definition.js';
import type { EventBusService } from '../events/event-bus.service.js';
import type { ServerStatus } from '../events/event-map.js';
import type { DiscoveryRetryState } from './discovery-retry.js';
import type { SkippedTool } from './tool-listing.js';
import type { UpstreamConnection } from './upstream-connection.js';

export type UpstreamStatus = 'connecting' | 'online' | 'error' | 'disabled';

export interface UpstreamInfo {
  readonly def: ServerDefinition;
  status: UpstreamStatus;
  lastError?: string;
  discoveredAt?: string;
  toolCount: number;
  /** Tools of the last tools/list that were invalid even without their `null`s (tool-listing.ts). */
  skippedTools?: readonly SkippedTool[];
  /** Set while a remote server that failed discovery waits for its next attempt (discovery-retry.ts). */
  discoveryRetry?: DiscoveryRetryState;
  /** Its tools come from the persisted catalog; the server has not listed them since the boot. */
  restored?: boolean;
}

/** The manager's record of one server (upstream-manager.service.ts, upstream-listing.ts). */
export interface Upstream extends UpstreamInfo {
  readonly connection?: UpstreamConnection;
  refreshing?: Promise<void>;
  /** A list_changed arrived while a refresh ran: list once more when it ends. */
  refreshAgain?: boolean;
  /** The upstream's own tool list, before disabled tools are taken out. */
  tools?: readonly Tool[];
}

/** `mcp.server.status_changed` for one server. */
export function emitServerStatus(
  events: EventBusService,
  upstream: UpstreamInfo,
  status: ServerStatus | 'connecting',
  message?: string,
): void {
  events.emit('mcp.server.status_changed', {
    installation_id: upstream.def.id,
    team_id: upstream.def.team,
    ...(upstream.def.userId ? { user_id: upstream.def.userId } : {}),
    status,
    ...(message ? { status_message: message } : {}),
    timestamp: new Date().toISOString(),
  });
}
