import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ServerRegistryService } from '../discovery/server-registry.service.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { SatelliteEvent, SatelliteEventType } from '../events/event-map.js';

export interface RecentError {
  readonly at: string;
  /** The server's slug, when the error is a server's. */
  readonly server?: string;
  readonly kind: 'server' | 'limit' | 'config' | 'tool';
  readonly message: string;
}

const KEEP = 50;
const MAX_MESSAGE = 500;

/**
 * The last errors seen on the event bus, newest first, for the status page and the debug route:
 * servers that went to `error` (crashes, failed starts and discoveries, unresponsive kills, with
 * the reason), limits hit, refused configuration edits, failed tool calls. In memory, per replica.
 */
@Injectable()
export class RecentErrorsService implements OnModuleInit, OnModuleDestroy {
  private readonly errors: RecentError[] = [];
  private unsubscribe?: () => void;

  constructor(
    private readonly events: EventBusService,
    private readonly registry: ServerRegistryService,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribe((event) => this.take(event));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  list(): RecentError[] {
    return [...this.errors];
  }

  private take(event: SatelliteEvent): void {
    const at = event.timestamp;
    const slugOf = (id: string) => this.registry.get(id)?.slug ?? id;
    if (is(event, 'mcp.server.status_changed')) {
      const d = event.data;
      if (d.status !== 'error' && d.status !== 'permanently_failed') return;
      const what = d.status === 'error' ? 'error' : 'permanently failed';
      this.add({
        at,
        server: slugOf(d.installation_id),
        kind: 'server',
        message: d.status_message ?? what,
      });
    } else if (is(event, 'resource.limit.exceeded')) {
      const d = event.data;
      this.add({
        at,
        server: d.server_slug,
        kind: 'limit',
        message: `${d.limit} limit: ${d.detail}`,
      });
    } else if (is(event, 'config.error')) {
      const d = event.data;
      this.add({ at, kind: 'config', message: `${d.source}: ${d.problems.join('; ')}` });
    } else if (is(event, 'mcp.request.logs')) {
      const server = slugOf(event.data.installation_id);
      for (const r of event.data.requests)
        if (!r.success)
          this.add({
            at: r.timestamp,
            server,
            kind: 'tool',
            message: `${r.tool_name}: ${r.error_message ?? 'failed'}`,
          });
    }
  }

  private add(error: RecentError): void {
    const message =
      error.message.length > MAX_MESSAGE
        ? `${error.message.slice(0, MAX_MESSAGE)}…`
        : error.message;
    this.errors.unshift({ ...error, message });
    if (this.errors.length > KEEP) this.errors.length = KEEP;
  }
}

function is<K extends SatelliteEventType>(
  event: SatelliteEvent,
  type: K,
): event is SatelliteEvent<K> {
  return event.type === type;
}
