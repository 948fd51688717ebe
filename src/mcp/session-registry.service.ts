import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { growingLru } from '../events/growing-lru.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { EventBusService } from '../events/event-bus.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { Clock, type TimerHandle } from '../events/clock.js';
import type { McpSession } from './mcp-session.js';
import { SIGNED_SESSION_MAX_AGE_S } from './session-id.codec.js';

export type CloseReason = 'deleted' | 'idle' | 'shutdown' | 'transport_closed';

/**
 * Live `/mcp` sessions: lookup, cap, idle expiry. An expired session's transport and server are
 * really closed (open SSE streams end), not just forgotten.
 */
@Injectable()
export class SessionRegistryService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SessionRegistryService.name);
  private readonly sessions = new Map<string, McpSession>();
  private created = 0;
  private expired = 0;
  private sweeper?: TimerHandle;
  /**
   * Ids ended by the client (DELETE) here, so a signed id is not rebuilt after it: kept as long
   * as a signed id may be adopted, bounded in number.
   */
  private readonly deleted = growingLru<string, true>(10_000, {
    ttl: SIGNED_SESSION_MAX_AGE_S * 1000,
  });

  constructor(
    private readonly config: SatelliteConfig,
    private readonly clock: Clock,
    private readonly events: EventBusService,
    private readonly metrics: MetricsService,
  ) {}

  /** Starts the periodic idle sweep (at most once a minute, and unref'd). */
  startSweeping(): void {
    const every = Math.min(
      60_000,
      Math.max(1000, Math.floor(this.config.mcp.sessionIdleTimeoutMs / 4)),
    );
    this.sweeper ??= this.clock.every(every, () => void this.sweep());
  }

  isFull(): boolean {
    return this.sessions.size >= this.config.mcp.maxSessions;
  }

  add(session: McpSession): void {
    this.sessions.set(session.id, session);
    this.created++;
    this.metrics.sessionsCreated.inc({ transport: transportOf(session) });
    this.metrics.sessionsOpen.inc({ transport: transportOf(session) });
  }

  /** Returns the session and marks it used; undefined for an unknown or expired id. */
  touch(id: string): McpSession | undefined {
    const session = this.sessions.get(id);
    if (session) session.lastSeenAt = this.clock.now();
    return session;
  }

  /** True when the client ended this session here (DELETE): its id is not rebuilt. */
  wasDeleted(id: string): boolean {
    return this.deleted.has(id);
  }

  /** Open sessions of one authenticated principal (none for the anonymous caller). */
  openFor(principal: string | undefined): number {
    if (principal === undefined) return 0;
    let open = 0;
    for (const s of this.sessions.values()) if (s.caller.userId === principal) open++;
    return open;
  }

  get size(): number {
    return this.sessions.size;
  }

  stats(): { open: number; created: number; expired: number } {
    return { open: this.sessions.size, created: this.created, expired: this.expired };
  }

  /** Forgets the session and closes its transport and server. Idempotent. */
  async close(id: string, reason: CloseReason): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    if (reason === 'idle') this.expired++;
    if (reason === 'deleted') this.deleted.set(id, true);
    this.metrics.sessionsOpen.dec({ transport: transportOf(session) });
    this.metrics.sessionsClosed.inc({ reason });
    this.events.emit('mcp.client.disconnected', { session_id: id, reason });
    try {
      session.onClose?.();
    } catch (err) {
      this.logger.warn(`releasing session ${id}: ${(err as Error).message}`);
    }
    await session.transport.close().catch(() => undefined);
    await session.server.close().catch(() => undefined);
  }

  /** Closes every session idle for longer than the configured timeout. */
  async sweep(): Promise<number> {
    const cutoff = this.clock.now() - this.config.mcp.sessionIdleTimeoutMs;
    const idle = [...this.sessions.values()].filter((s) => s.lastSeenAt < cutoff).map((s) => s.id);
    await Promise.all(idle.map((id) => this.close(id, 'idle')));
    if (idle.length) this.logger.log(`closed ${idle.length} idle session(s)`);
    return idle.length;
  }

  /**
   * Sessions end before the HTTP server closes (Nest 12 closes the server before
   * onApplicationShutdown), otherwise an open SSE stream would hold the close forever.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.sweeper?.cancel();
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id, 'shutdown')));
  }
}

/** `streamable` (/mcp), `direct` (/i/{slug}/mcp) or `sse` (legacy /sse). */
function transportOf(session: McpSession): string {
  if (session.transport instanceof SSEServerTransport) return 'sse';
  return session.endpoint === 'meta' ? 'streamable' : 'direct';
}
