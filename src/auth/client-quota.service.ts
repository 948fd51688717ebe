import { Injectable } from '@nestjs/common';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { Counter, Gauge } from 'prom-client';
import { SatelliteConfig } from '../config/satellite-config.js';
import { Clock } from '../events/clock.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { CallerContext } from '../router/caller-context.js';
import { growingLru } from '../events/growing-lru.js';

/** The JSON-RPC error code of a refusal by quota (implementation-defined server error range). */
export const QUOTA_EXCEEDED = -32029;

export type QuotaLimit = 'sessions' | 'rate' | 'concurrency' | 'streams';

/** Why a request is refused, and when the caller may try again. */
export interface QuotaRefusal {
  readonly limit: QuotaLimit;
  readonly retryAfterSeconds: number;
  readonly message: string;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Seconds a caller at its session cap is told to wait (sessions end by DELETE or idleness). */
const SESSION_RETRY_S = 30;

/**
 * Per-principal limits (docs/security.md "Quotas"): open sessions, tool calls per minute (a token
 * bucket: a minute's worth as burst, refilled evenly), tool calls at once, and GET streams per
 * session. A principal is the authenticated user (`caller.userId`); the anonymous caller of
 * `DEPLOYSTACK_AUTH=none` has no identity to count by and only meets the global caps. Refusals are
 * counted in `satellite_quota_rejections_total{limit}`.
 */
@Injectable()
export class ClientQuotaService {
  private readonly quotas: SatelliteConfig['auth']['quotas'];
  /** Idle buckets refill to full, so forgetting the least recent ones changes nothing. */
  private readonly buckets = growingLru<string, Bucket>(100_000);
  private readonly calls = new Map<string, number>();
  private readonly pendingSessions = new Map<string, number>();
  private readonly streams = new Map<string, number>();
  private readonly rejections: Counter<'limit'>;

  constructor(
    config: SatelliteConfig,
    metrics: MetricsService,
    private readonly clock: Clock,
  ) {
    this.quotas = config.auth.quotas;
    this.rejections = new Counter({
      name: 'satellite_quota_rejections_total',
      help: 'Requests refused by a per-principal quota (sessions, rate, concurrency, streams)',
      labelNames: ['limit'],
      registers: [metrics.registry],
    });
    for (const limit of ['sessions', 'rate', 'concurrency', 'streams'] as const)
      this.rejections.inc({ limit }, 0);
    const calls = this.calls;
    new Gauge({
      name: 'satellite_quota_calls_in_flight',
      help: 'Tool calls running now, of principals with quotas',
      registers: [metrics.registry],
      collect() {
        this.set([...calls.values()].reduce((a, b) => a + b, 0));
      },
    });
    const streams = this.streams;
    new Gauge({
      name: 'satellite_streams_open',
      help: 'GET (server-to-client) streams open on Streamable HTTP sessions',
      registers: [metrics.registry],
      collect() {
        this.set([...streams.values()].reduce((a, b) => a + b, 0));
      },
    });
  }

  /**
   * A new session for `principal`, which has `open` sessions now: a release to run once the new
   * session is registered (or refused), or why not. Sessions being opened count too.
   */
  reserveSession(principal: string | undefined, open: number): (() => void) | QuotaRefusal {
    if (principal === undefined) return () => undefined;
    const pending = this.pendingSessions.get(principal) ?? 0;
    const max = this.quotas.maxSessionsPerPrincipal;
    if (open + pending >= max)
      return this.refuse(
        'sessions',
        SESSION_RETRY_S,
        `too many open sessions (at most ${max} per principal); close one or try again later`,
      );
    this.pendingSessions.set(principal, pending + 1);
    return once(() => decrement(this.pendingSessions, principal));
  }

  /** Takes `count` tool calls from the principal's budget per minute. */
  takeCalls(principal: string | undefined, count: number): QuotaRefusal | undefined {
    const now = this.clock.now();
    if (principal === undefined || count === 0) return undefined;
    const capacity = this.quotas.callsPerMinute;
    const perMs = capacity / 60_000;
    const bucket = this.buckets.get(principal) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * perMs);
    bucket.at = now;
    this.buckets.set(principal, bucket);
    if (bucket.tokens >= count) {
      bucket.tokens -= count;
      return undefined;
    }
    const waitMs = count > capacity ? 60_000 : (count - bucket.tokens) / perMs;
    return this.refuse(
      'rate',
      Math.max(1, Math.ceil(waitMs / 1000)),
      `too many tool calls (at most ${capacity} per minute per principal)`,
    );
  }

  /**
   * Starts one tool call of the caller: the release to run when it ends. Throws the JSON-RPC
   * error the client gets inside its stream when the caller already runs its maximum.
   */
  enterCall(caller: CallerContext): () => void {
    const principal = caller.userId;
    if (principal === undefined) return () => undefined;
    const running = this.calls.get(principal) ?? 0;
    const max = this.quotas.maxConcurrentCalls;
    if (running >= max) {
      const refusal = this.refuse(
        'concurrency',
        1,
        `too many tool calls at once (at most ${max} per principal); wait for one to finish`,
      );
      throw new McpError(QUOTA_EXCEEDED, refusal.message, {
        limit: refusal.limit,
        retry_after_seconds: refusal.retryAfterSeconds,
      });
    }
    this.calls.set(principal, running + 1);
    return once(() => decrement(this.calls, principal));
  }

  /** Opens one GET stream on a session: the release to run when it closes, or why not. */
  openStream(sessionId: string): (() => void) | QuotaRefusal {
    const open = this.streams.get(sessionId) ?? 0;
    const max = this.quotas.maxStreamsPerSession;
    if (open >= max)
      return this.refuse('streams', 1, `too many open streams on this session (at most ${max})`);
    this.streams.set(sessionId, open + 1);
    return once(() => decrement(this.streams, sessionId));
  }

  private refuse(limit: QuotaLimit, retryAfterSeconds: number, message: string): QuotaRefusal {
    this.rejections.inc({ limit });
    return { limit, retryAfterSeconds, message: `Too Many Requests: ${message}` };
  }
}

export function isRefusal(value: unknown): value is QuotaRefusal {
  return typeof value === 'object' && value !== null && 'limit' in value;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
