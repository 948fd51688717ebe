import { Injectable } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { callScope } from './call-scope.js';
import { OrderedClient } from './ordered-delivery.js';
import { UpstreamEventsService } from './upstream-events.service.js';

export interface UpstreamClientHooks {
  /** The upstream announced that its tool list changed. */
  onToolsChanged(): void;
}

/**
 * Builds the SDK client the satellite uses towards one upstream server. It offers sampling,
 * elicitation and roots, and hands such requests to the router, which forwards them to the
 * client whose call caused them (or refuses cleanly when that client lacks the capability, or
 * when nothing says which client it is). Both carry the call they arrived under (call-scope.ts).
 */
@Injectable()
export class UpstreamClientFactory {
  constructor(
    private readonly config: SatelliteConfig,
    private readonly events: UpstreamEventsService,
  ) {}

  create(serverId: string, hooks: UpstreamClientHooks): Client {
    // Responses are handled after the notifications that arrived before them (ordered-delivery.ts).
    const client = new OrderedClient(
      { name: 'deploystack-satellite', version: this.config.version },
      {
        capabilities: {
          sampling: {},
          elicitation: { form: {}, url: {} },
          roots: { listChanged: true },
        },
      },
    );
    const route = (
      request: { method: string; params?: Record<string, unknown> },
      extra: { signal: AbortSignal },
    ) => this.events.routeRequest(serverId, request, extra.signal, callScope.current());
    client.setRequestHandler(CreateMessageRequestSchema, route);
    client.setRequestHandler(ElicitRequestSchema, route);
    client.setRequestHandler(ListRootsRequestSchema, route);
    client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => {
      // The re-listing is the server's business, not the business of the call it arrived under.
      callScope.outside(() => hooks.onToolsChanged());
      this.events.notify(serverId, n, callScope.current());
    });
    client.fallbackNotificationHandler = (n) => {
      this.events.notify(serverId, n, callScope.current());
      return Promise.resolve();
    };
    return client;
  }
}
