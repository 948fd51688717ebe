import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';
import { LabelCap } from './label-cap.js';

/** Distinct `server` labels of the usage series; later servers count as "other". */
export const MAX_SERVER_LABELS = 100;
/** Distinct `client` labels of the usage series (clients are capped again, lower than in the store). */
export const MAX_CLIENT_LABELS = 20;

/**
 * The usage series on /metrics (docs/usage.md "Prometheus"). Labels are bounded: `server` by the
 * configured servers and MAX_SERVER_LABELS, `client` by MAX_CLIENT_LABELS, `outcome` by its three
 * values; per tool there is no label (tools are many, and `GET /api/usage` has them).
 */
@Injectable()
export class UsageMetrics {
  private readonly servers = new LabelCap(MAX_SERVER_LABELS);
  private readonly clients = new LabelCap(MAX_CLIENT_LABELS);
  private readonly calls: Counter<'server' | 'client' | 'outcome'>;
  private readonly bytes: Counter<'server'>;
  private readonly tokens: Counter<'server'>;
  private readonly sessions: Counter;
  private readonly saved: Gauge;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.calls = new Counter({
      name: 'satellite_usage_tool_calls_total',
      help: 'Tool calls (execute_mcp_tool and direct endpoints) by server, MCP client name and outcome',
      labelNames: ['server', 'client', 'outcome'] as const,
      registers,
    });
    this.bytes = new Counter({
      name: 'satellite_usage_returned_bytes_total',
      help: 'Bytes of tool results returned to clients (JSON, UTF-8), by server',
      labelNames: ['server'] as const,
      registers,
    });
    this.tokens = new Counter({
      name: 'satellite_usage_returned_tokens_total',
      help: 'Estimated tokens of tool results returned to clients (bytes / 4), by server',
      labelNames: ['server'] as const,
      registers,
    });
    this.sessions = new Counter({
      name: 'satellite_usage_meta_sessions_total',
      help: 'Meta-tool sessions counted for tokens saved',
      registers,
    });
    // A signed running total: a session's discover answers are subtracted as they come.
    this.saved = new Gauge({
      name: 'satellite_usage_tokens_saved',
      help: 'Tokens the meta-tools saved against listing every tool, since start (docs/usage.md)',
      registers,
    });
  }

  recordCall(call: {
    server: string;
    client: string;
    outcome: string;
    bytes: number;
    tokens: number;
  }): void {
    const server = this.servers.label(call.server);
    this.calls.inc({ server, client: this.clients.label(call.client), outcome: call.outcome });
    if (call.bytes > 0) {
      this.bytes.inc({ server }, call.bytes);
      this.tokens.inc({ server }, call.tokens);
    }
  }

  recordSaved(sessions: number, tokens: number): void {
    if (sessions > 0) this.sessions.inc(sessions);
    this.saved.inc(tokens);
  }
}
