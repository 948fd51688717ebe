import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { Clock } from '../events/clock.js';
import { EventBusService } from '../events/event-bus.service.js';
import { ActivityTracker } from './activity-tracker.js';
import { LabelCap } from './label-cap.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { UsageCall, UsageFilter, UsageReport } from './usage-call.js';
import { UsageMetrics } from './usage.metrics.js';
import { summarize } from './usage-summary.js';
import { HOUR_MS, type SavedRow, type UsageRow, UsageStore } from './usage.store.js';
import { growingLru } from '../events/growing-lru.js';

/** Distinct client names kept per satellite; later ones count as "other" (docs/usage.md "Bounds"). */
export const MAX_CLIENT_NAMES = 50;
/** Rows waiting for the next flush; at half of it a flush is brought forward, past it calls are dropped. */
export const MAX_PENDING_ROWS = 5_000;
/** Hours of figures kept on disk (30 days). */
export const RETENTION_HOURS = 30 * 24;
/**
 * Result bytes per token for the estimate of `tokens_returned`: counting a result's tokens exactly
 * costs about as much as the call itself for large results, so it is estimated (docs/usage.md
 * "Tokens returned"; bench/usage measures the ratio on real results).
 */
export const BYTES_PER_TOKEN = 4;
/** Sessions remembered as already counted for tokens saved. */
const MAX_SEEN_SESSIONS = 10_000;
const DROP_LOG_EVERY_MS = 60_000;

export const USAGE_STORE = Symbol('USAGE_STORE');

/**
 * The usage figures (docs/usage.md): every tool call is recorded here once, in memory; a flush
 * (UsageFlushJob every 10 s, a full buffer, shutdown) adds the buffered deltas to the store in one
 * transaction. Reports read the store and add what is still buffered.
 */
@Injectable()
export class UsageService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(UsageService.name);
  private pending = new Map<string, UsageRow>();
  private pendingSaved = new Map<number, SavedRow>();
  private readonly clients = new LabelCap(MAX_CLIENT_NAMES);
  private readonly seenSessions = growingLru<string, true>(MAX_SEEN_SESSIONS);
  private readonly activity: ActivityTracker | undefined;
  private flushScheduled = false;
  private dropped = 0;
  private lastDropLogAt = -Infinity;
  private prunedHour = -1;
  private closed = false;

  constructor(
    config: SatelliteConfig,
    @Inject(USAGE_STORE) private readonly store: UsageStore,
    private readonly events: EventBusService,
    private readonly metrics: UsageMetrics,
    private readonly clock: Clock,
  ) {
    this.clients.seed(store.clients(MAX_CLIENT_NAMES));
    // mcp.client.activity is the backend's; standalone mode has no one to send it to.
    this.activity = config.backend ? new ActivityTracker() : undefined;
  }

  /** One finished tool call (the router calls this once per call, tool-call-audit.service.ts). */
  record(call: UsageCall): void {
    const client = this.clients.label(call.client);
    const bytes = resultBytes(call.result);
    const tokens = Math.ceil(bytes / BYTES_PER_TOKEN);
    const failed = call.outcome === 'error';
    this.metrics.recordCall({ server: call.server, client, outcome: call.outcome, bytes, tokens });
    this.events.emit('mcp.tool.executed', {
      tool_name: `${call.server}-${call.tool}`,
      server_id: call.serverId,
      team_id: call.team,
      duration_ms: call.durationMs,
      success: call.outcome === 'ok',
      ...(call.error ? { error_message: call.error.slice(0, 500) } : {}),
    });
    this.activity?.add(call, client, this.clock.now());
    if (this.closed) {
      this.drop('after shutdown');
      return;
    }
    const hour = Math.floor(call.startedAt / HOUR_MS);
    const tool = `${call.server}-${call.tool}`;
    const key = `${hour}\u0000${call.server}\u0000${call.team}\u0000${tool}\u0000${client}`;
    let row = this.pending.get(key);
    if (!row) {
      if (this.pending.size >= MAX_PENDING_ROWS) {
        this.drop('the buffer is full (the store is not taking writes)');
        return;
      }
      row = {
        hour,
        server: call.server,
        team: call.team,
        tool,
        client,
        calls: 0,
        errors: 0,
        bytes: 0,
        tokens: 0,
        latency: new LatencyHistogram(),
      };
      this.pending.set(key, row);
      if (this.pending.size >= MAX_PENDING_ROWS / 2) this.flushSoon();
    }
    row.calls++;
    if (failed) row.errors++;
    row.bytes += bytes;
    row.tokens += tokens;
    row.latency.record(call.durationMs);
    if (call.traceparent) row.traceparent = call.traceparent;
  }

  /**
   * A meta-tool session listed its tools or called a meta-tool: counted once per session, saving
   * what listing every tool it may use would have cost, less the meta-tools' own definitions.
   */
  sessionSeen(sessionId: string, tokens: () => { allTools: number; metaTools: number }): void {
    if (this.seenSessions.has(sessionId)) return;
    this.seenSessions.set(sessionId, true);
    const { allTools, metaTools } = tokens();
    this.addSaved(1, allTools - metaTools);
  }

  /** A discover_mcp_tools answer of `tokens` tokens: what the session spent instead. */
  discoverAnswered(tokens: number): void {
    this.addSaved(0, -tokens);
  }

  report(filter: UsageFilter): UsageReport {
    const sinceHour = Math.floor(filter.since / HOUR_MS);
    const query = {
      sinceHour,
      ...(filter.server !== undefined ? { server: filter.server } : {}),
      ...(filter.team !== undefined ? { team: filter.team } : {}),
      ...(filter.teams !== undefined ? { teams: filter.teams } : {}),
    };
    const rows = [...this.store.usage(query)];
    for (const row of this.pending.values()) {
      if (row.hour < sinceHour) continue;
      if (filter.server !== undefined && row.server !== filter.server) continue;
      if (filter.team !== undefined && row.team !== filter.team) continue;
      if (filter.teams !== undefined && !filter.teams.includes(row.team)) continue;
      rows.push(row);
    }
    const saved = [
      ...this.store.saved(sinceHour),
      ...[...this.pendingSaved.values()].filter((r) => r.hour >= sinceHour),
    ];
    return summarize({
      rows,
      saved,
      since: new Date(sinceHour * HOUR_MS).toISOString(),
      until: new Date(this.clock.now()).toISOString(),
    });
  }

  /** Adds what is buffered to the store in one transaction; on failure it stays buffered. */
  flush(): void {
    if (!this.store.isOpen()) return;
    if (this.pending.size > 0 || this.pendingSaved.size > 0) {
      const usage = this.pending;
      const saved = this.pendingSaved;
      this.pending = new Map();
      this.pendingSaved = new Map();
      try {
        this.store.add(usage.values(), saved.values());
      } catch (err) {
        this.logger.error(`writing the usage figures failed: ${(err as Error).message}`);
        this.restore(usage, saved);
        return;
      }
    }
    this.prune();
  }

  /** mcp.client.activity since the last report, one event per user, team and OAuth client. */
  reportActivity(): void {
    for (const data of this.activity?.take() ?? []) this.events.emit('mcp.client.activity', data);
  }

  /** Calls not recorded because the buffer was full or the store closed, since start. */
  droppedCalls(): number {
    return this.dropped;
  }

  /** Before any module closes: the last activity report still reaches the event queue. */
  beforeApplicationShutdown(): void {
    this.reportActivity();
    this.flush();
  }

  onApplicationShutdown(): void {
    this.flush();
    this.closed = true;
    this.store.close();
  }

  private addSaved(sessions: number, tokens: number): void {
    if (this.closed) return;
    const hour = Math.floor(this.clock.now() / HOUR_MS);
    const row = this.pendingSaved.get(hour) ?? { hour, sessions: 0, tokens: 0 };
    row.sessions += sessions;
    row.tokens += tokens;
    this.pendingSaved.set(hour, row);
    this.metrics.recordSaved(sessions, tokens);
  }

  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Puts a batch the store refused back, ahead of what came meanwhile (bounded as record is). */
  private restore(usage: Map<string, UsageRow>, saved: Map<number, SavedRow>): void {
    for (const [key, row] of this.pending) {
      const earlier = usage.get(key);
      if (earlier) {
        earlier.calls += row.calls;
        earlier.errors += row.errors;
        earlier.bytes += row.bytes;
        earlier.tokens += row.tokens;
        earlier.latency.merge(row.latency);
      } else if (usage.size < MAX_PENDING_ROWS) usage.set(key, row);
      else this.drop('the buffer is full (the store is not taking writes)', row.calls);
    }
    for (const [hour, row] of this.pendingSaved) {
      const earlier = saved.get(hour);
      if (earlier) {
        earlier.sessions += row.sessions;
        earlier.tokens += row.tokens;
      } else saved.set(hour, row);
    }
    this.pending = usage;
    this.pendingSaved = saved;
  }

  private prune(): void {
    const hour = Math.floor(this.clock.now() / HOUR_MS);
    if (hour === this.prunedHour) return;
    this.prunedHour = hour;
    try {
      this.store.prune(hour - RETENTION_HOURS);
    } catch (err) {
      this.logger.warn(`pruning old usage figures failed: ${(err as Error).message}`);
    }
  }

  private drop(why: string, calls = 1): void {
    this.dropped += calls;
    const now = this.clock.now();
    if (now - this.lastDropLogAt < DROP_LOG_EVERY_MS) return;
    this.lastDropLogAt = now;
    this.logger.warn(`usage figures of ${this.dropped} call(s) dropped so far: ${why}`);
  }
}

/** UTF-8 bytes of the result as JSON: what the client received inside the JSON-RPC answer. */
function resultBytes(result: unknown): number {
  if (result === undefined) return 0;
  try {
    return Buffer.byteLength(JSON.stringify(result) ?? '', 'utf8');
  } catch {
    return 0;
  }
}
