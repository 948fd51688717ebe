import type {
  ClientCapabilities,
  Notification,
  Request,
  Result,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * A client of the satellite, as seen by an upstream server that wants to reach it: requests go
 * on the stream of the related call (SDK `extra.sendRequest`), otherwise they would wait on the
 * session's GET stream (docs/testing.md "SDK traps").
 */
export interface DownstreamPeer {
  readonly sessionId: string;
  sendRequest(request: Request, signal: AbortSignal): Promise<Result>;
  sendNotification(notification: Notification): Promise<void>;
  capabilities(): ClientCapabilities | undefined;
}
