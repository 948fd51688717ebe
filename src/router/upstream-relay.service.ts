import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  type ClientCapabilities,
  ErrorCode,
  McpError,
  type Notification,
  type Request,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import { UpstreamEventsService } from '../discovery/upstream-events.service.js';
import { CallContextRegistry } from './call-context.registry.js';
import type { DownstreamPeer } from './downstream-peer.js';

/** Which client capability a server→client request needs. */
function canAnswer(request: Request, caps: ClientCapabilities | undefined): boolean {
  switch (request.method) {
    case 'sampling/createMessage':
      return caps?.sampling !== undefined;
    case 'elicitation/create': {
      const mode = (request.params as { mode?: string } | undefined)?.mode ?? 'form';
      const e = caps?.elicitation as { form?: object; url?: object } | undefined;
      if (!e) return false;
      // An empty elicitation capability means form mode (MCP 2025-11-25).
      return mode === 'url' ? e.url !== undefined : e.form !== undefined || e.url === undefined;
    }
    case 'roots/list':
      return caps?.roots !== undefined;
    default:
      return false;
  }
}

/**
 * Carries what upstream servers send towards clients: server→client requests go to the caller
 * that can answer them (refused with a clear error otherwise); notifications go to the sessions
 * they concern (subscribers, callers in flight, direct sessions).
 */
@Injectable()
export class UpstreamRelayService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(UpstreamRelayService.name);
  private unsubscribe?: () => void;

  constructor(
    private readonly upstreamEvents: UpstreamEventsService,
    private readonly contexts: CallContextRegistry,
  ) {}

  onModuleInit(): void {
    this.upstreamEvents.setRequestRouter((serverId, request, signal) =>
      this.routeRequest(serverId, request, signal),
    );
    this.unsubscribe = this.upstreamEvents.subscribe((serverId, n) =>
      this.relayNotification(serverId, n),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async routeRequest(serverId: string, request: Request, signal: AbortSignal): Promise<Result> {
    const peer = this.contexts.route(serverId, (p) => canAnswer(request, p.capabilities()));
    if (!peer) {
      // A server may ask for roots at any time; with nobody to ask, there are none to offer.
      if (request.method === 'roots/list') return { roots: [] };
      const calling = this.contexts.callers(serverId).length > 0;
      throw new McpError(
        ErrorCode.InvalidRequest,
        calling
          ? `The calling client does not support ${request.method}`
          : `${request.method} needs a client call in progress to answer it`,
      );
    }
    return peer.sendRequest(request, signal);
  }

  relayNotification(serverId: string, n: Notification): void {
    const targets = this.targetsOf(serverId, n);
    for (const peer of targets) {
      peer
        .sendNotification(n)
        .catch((err: Error) =>
          this.logger.debug(`relaying ${n.method} to ${peer.sessionId}: ${err.message}`),
        );
    }
  }

  private targetsOf(serverId: string, n: Notification): DownstreamPeer[] {
    switch (n.method) {
      case 'notifications/resources/updated': {
        const uri = (n.params as { uri?: string } | undefined)?.uri;
        return uri ? this.contexts.subscribers(serverId, uri) : [];
      }
      case 'notifications/message': {
        // Log messages of a call belong to its caller; otherwise to the server's direct sessions.
        const callers = this.contexts.callers(serverId);
        return callers.length > 0
          ? [...new Map(callers.map((c) => [c.sessionId, c])).values()]
          : this.contexts.directSessions(serverId);
      }
      default:
        // list_changed and anything else: the direct sessions bound to that server.
        return this.contexts.directSessions(serverId);
    }
  }
}
