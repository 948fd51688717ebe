import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  type ClientCapabilities,
  ErrorCode,
  McpError,
  type Notification,
  type Request,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamCallOrigin } from '../discovery/call-scope.js';
import { UpstreamEventsService } from '../discovery/upstream-events.service.js';
import { CallContextRegistry, type Target } from './call-context.registry.js';
import { relayedError } from './relayed-error.js';

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
 * Carries what upstream servers send towards clients: server→client requests go to the client
 * whose call caused them (refused with a clear error when it cannot answer them, or when nothing
 * says which client it is); notifications go to the sessions they concern (the caller of the call
 * a log message belongs to, subscribers, direct sessions). call-context.registry.ts decides.
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
    this.upstreamEvents.setRequestRouter((serverId, request, signal, origin) =>
      this.routeRequest(serverId, request, signal, origin),
    );
    this.unsubscribe = this.upstreamEvents.subscribe((serverId, n, origin) =>
      this.relayNotification(serverId, n, origin),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  async routeRequest(
    serverId: string,
    request: Request,
    signal: AbortSignal,
    origin?: UpstreamCallOrigin,
  ): Promise<Result> {
    const route = this.contexts.routeRequest(serverId, origin, request.method, (p) =>
      canAnswer(request, p.capabilities()),
    );
    if ('refused' in route) {
      // A server may ask for roots at any time; with nobody to ask, there are none to offer.
      if (request.method === 'roots/list') return { roots: [] };
      this.logger.debug(`refused ${request.method} of server ${serverId}: ${route.refused}`);
      throw new McpError(ErrorCode.InvalidRequest, route.refused);
    }
    return route.peer.sendRequest(request, signal).catch((err: unknown) => {
      throw err instanceof McpError ? relayedError(err) : err;
    });
  }

  relayNotification(serverId: string, n: Notification, origin?: UpstreamCallOrigin): void {
    const targets = this.targetsOf(serverId, n, origin);
    if (targets.length === 0 && n.method === 'notifications/message')
      this.logger.debug(`log message of server ${serverId} has no client it can be attributed to`);
    for (const { peer, call } of targets) {
      this.contexts
        .sendFor(call, peer, () => peer.sendNotification(n))
        .catch((err: Error) =>
          this.logger.debug(`relaying ${n.method} to ${peer.sessionId}: ${err.message}`),
        );
    }
  }

  private targetsOf(
    serverId: string,
    n: Notification,
    origin: UpstreamCallOrigin | undefined,
  ): Target[] {
    switch (n.method) {
      case 'notifications/resources/updated': {
        const uri = (n.params as { uri?: string } | undefined)?.uri;
        return uri ? this.contexts.subscribers(serverId, uri).map((peer) => ({ peer })) : [];
      }
      case 'notifications/tasks/status':
        // A task's status is its owner's alone, under an id of the endpoint (docs/tasks.md "Direct
        // endpoints"); clients poll tasks/get, which the spec says they must not skip for these.
        return [];
      case 'notifications/message':
        // Log messages of a call belong to its caller alone.
        return this.contexts.logTargets(serverId, origin);
      default:
        // list_changed and anything else: the direct sessions bound to that server.
        return this.contexts.directSessions(serverId).map((peer) => ({ peer }));
    }
  }
}
