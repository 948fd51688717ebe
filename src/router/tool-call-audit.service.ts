import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Implementation } from '@modelcontextprotocol/sdk/types.js';
import { EventBusService } from '../events/event-bus.service.js';
import { UsageService } from '../usage/usage.service.js';
import type { CallerContext } from './caller-context.js';
import { redactArguments } from './tool-call-audit.js';
import { type TraceContext, traceIdOf } from './trace-context.js';

export type ToolCallOutcome = 'ok' | 'error' | 'cancelled' | 'refused';

/** One tool call, as the audit keeps it. */
export interface ToolCallRecord {
  readonly caller: CallerContext;
  /** `meta` (execute_mcp_tool on /mcp or /sse), `direct` (/i/{slug}/mcp) or `rest` (/api/tools). */
  readonly endpoint: 'meta' | 'direct' | 'rest';
  /** The server that ran it; absent when the path named no server the caller may use. */
  readonly server?: { readonly id: string; readonly slug: string; readonly team: string };
  readonly tool: string;
  readonly args: unknown;
  readonly client?: Implementation;
  readonly sessionId?: string;
  /** W3C trace context of the request (docs/tasks.md "Trace context"). */
  readonly trace?: TraceContext;
  readonly outcome: ToolCallOutcome;
  readonly error?: string;
  /** The result the client got (usage: bytes and tokens returned). */
  readonly result?: unknown;
  readonly startedAt: number;
  readonly durationMs: number;
}

/**
 * One structured record per tool call (docs/security.md "Audit"): who (principal, teams, OAuth
 * client, MCP client), what (server, team, tool), how it ended and how long it took, written to
 * the log under `audit: "tool_call"`. The arguments are never in it (only their names); the
 * backend's request logs (managed mode, `mcp.request.logs`) get them with secrets redacted.
 */
@Injectable()
export class ToolCallAuditService {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly events: EventBusService,
    private readonly usage: UsageService,
  ) {}

  record(r: ToolCallRecord): void {
    const { caller, server } = r;
    this.logger.log(
      {
        audit: 'tool_call',
        principal: caller.userId ?? 'anonymous',
        ...(caller.teams ? { teams: caller.teams } : {}),
        ...(caller.clientId ? { client_id: caller.clientId } : {}),
        ...(r.client ? { client: { name: r.client.name, version: r.client.version } } : {}),
        // A digest, not the id: a session id lets its holder use the session.
        ...(r.sessionId ? { session: sessionDigest(r.sessionId) } : {}),
        endpoint: r.endpoint,
        ...(r.trace
          ? {
              trace_id: traceIdOf(r.trace.traceparent),
              traceparent: r.trace.traceparent,
              ...(r.trace.tracestate ? { tracestate: r.trace.tracestate } : {}),
            }
          : {}),
        server: server?.slug ?? null,
        team: server?.team ?? null,
        tool: r.tool,
        argument_names: argumentNames(r.args),
        outcome: r.outcome,
        ...(r.error ? { error: r.error.slice(0, 500) } : {}),
        duration_ms: r.durationMs,
      },
      `tool call ${server ? `${server.slug}/` : ''}${r.tool} by ${caller.userId ?? 'anonymous'}: ${r.outcome}`,
    );
    if (!server || r.outcome === 'refused') return;
    // The one place every finished call is counted (docs/usage.md "What is counted").
    this.usage.record({
      serverId: server.id,
      server: server.slug,
      team: server.team,
      tool: r.tool,
      outcome: r.outcome,
      ...(r.client?.name !== undefined ? { client: r.client.name } : {}),
      ...(r.error ? { error: r.error } : {}),
      startedAt: r.startedAt,
      durationMs: r.durationMs,
      ...(r.result !== undefined ? { result: r.result } : {}),
      ...(caller.userId ? { userId: caller.userId } : {}),
      ...(caller.clientId ? { oauthClientId: caller.clientId } : {}),
      ...(r.sessionId ? { sessionId: r.sessionId } : {}),
      ...(r.trace ? { traceparent: r.trace.traceparent } : {}),
    });
    this.events.emit('mcp.request.logs', {
      installation_id: server.id,
      team_id: server.team,
      requests: [
        {
          ...(caller.userId ? { user_id: caller.userId } : {}),
          tool_name: r.tool,
          tool_params: redactArguments(r.args),
          response_time_ms: r.durationMs,
          success: r.outcome === 'ok',
          ...(r.error ? { error_message: r.error } : {}),
          timestamp: new Date(r.startedAt).toISOString(),
        },
      ],
    });
  }
}

/** Digests of recent session ids: a session's calls need it once, not once per call. */
const digests = new Map<string, string>();

function sessionDigest(id: string): string {
  let digest = digests.get(id);
  if (digest === undefined) {
    if (digests.size >= 4096) digests.clear();
    digest = createHash('sha256').update(id).digest('hex').slice(0, 12);
    digests.set(id, digest);
  }
  return digest;
}

function argumentNames(args: unknown): string[] {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return [];
  return Object.keys(args).slice(0, 50);
}
