import { Injectable, Logger } from '@nestjs/common';
import {
  ErrorCode,
  McpError,
  type Notification,
  type Request,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import type { UpstreamCallOrigin } from './call-scope.js';

/**
 * Routes a server→client request of an upstream (sampling, elicitation, roots) to a downstream
 * client. `origin` is the call it arrived under (call-scope.ts), when the transport could tell.
 */
export type UpstreamRequestRouter = (
  serverId: string,
  request: Request,
  signal: AbortSignal,
  origin: UpstreamCallOrigin | undefined,
) => Promise<Result>;
export type UpstreamNotificationListener = (
  serverId: string,
  notification: Notification,
  origin: UpstreamCallOrigin | undefined,
) => void;

/**
 * The seam between upstream clients (discovery) and the clients of the satellite (router/mcp):
 * discovery must not import the router, so the router plugs its routing in here.
 */
@Injectable()
export class UpstreamEventsService {
  private readonly logger = new Logger(UpstreamEventsService.name);
  private router?: UpstreamRequestRouter;
  private readonly listeners = new Set<UpstreamNotificationListener>();

  setRequestRouter(router: UpstreamRequestRouter): void {
    this.router = router;
  }

  routeRequest(
    serverId: string,
    request: Request,
    signal: AbortSignal,
    origin?: UpstreamCallOrigin,
  ): Promise<Result> {
    if (!this.router) {
      return Promise.reject(
        new McpError(
          ErrorCode.MethodNotFound,
          `${request.method} is not available through this gateway`,
        ),
      );
    }
    return this.router(serverId, request, signal, origin);
  }

  subscribe(listener: UpstreamNotificationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(serverId: string, notification: Notification, origin?: UpstreamCallOrigin): void {
    for (const listener of this.listeners) {
      try {
        listener(serverId, notification, origin);
      } catch (err) {
        this.logger.error(`upstream notification listener failed: ${(err as Error).message}`);
      }
    }
  }
}
