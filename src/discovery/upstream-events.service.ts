import { Injectable, Logger } from '@nestjs/common';
import {
  ErrorCode,
  McpError,
  type Notification,
  type Request,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';

/** Routes a server→client request of an upstream (sampling, elicitation, roots) to a downstream client. */
export type UpstreamRequestRouter = (
  serverId: string,
  request: Request,
  signal: AbortSignal,
) => Promise<Result>;
export type UpstreamNotificationListener = (serverId: string, notification: Notification) => void;

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

  routeRequest(serverId: string, request: Request, signal: AbortSignal): Promise<Result> {
    if (!this.router) {
      return Promise.reject(
        new McpError(
          ErrorCode.MethodNotFound,
          `${request.method} is not available through this gateway`,
        ),
      );
    }
    return this.router(serverId, request, signal);
  }

  subscribe(listener: UpstreamNotificationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(serverId: string, notification: Notification): void {
    for (const listener of this.listeners) {
      try {
        listener(serverId, notification);
      } catch (err) {
        this.logger.error(`upstream notification listener failed: ${(err as Error).message}`);
      }
    }
  }
}
