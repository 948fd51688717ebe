import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ResultSchema,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { DownstreamPeer } from './downstream-peer.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** The client behind one request: messages travel on that request's stream. */
export function peerOfRequest(server: Server, extra: Extra): DownstreamPeer {
  return {
    sessionId: extra.sessionId ?? 'stdio',
    sendRequest: (request, signal) =>
      extra.sendRequest(request as ServerRequest, ResultSchema, { signal }),
    sendNotification: (notification) => extra.sendNotification(notification as ServerNotification),
    capabilities: () => server.getClientCapabilities(),
  };
}

/** The client of a whole session (no request in progress): messages use the session's GET stream. */
export function peerOfSession(server: Server, sessionId: string): DownstreamPeer {
  return {
    sessionId,
    sendRequest: (request, signal) => server.request(request, ResultSchema, { signal }),
    sendNotification: (notification) => server.notification(notification),
    capabilities: () => server.getClientCapabilities(),
  };
}
