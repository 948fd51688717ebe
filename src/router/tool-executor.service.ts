import { Injectable, Logger } from '@nestjs/common';
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CallToolResult,
  type Implementation,
  type ProgressToken,
} from '@modelcontextprotocol/sdk/types.js';
import { ClientQuotaService } from '../auth/client-quota.service.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import {
  CircuitOpenError,
  ServerBusyError,
  UpstreamUnavailableError,
} from '../discovery/discovery.errors.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { CallContextRegistry } from './call-context.registry.js';
import { type CallerContext, canUse } from './caller-context.js';
import type { DownstreamPeer } from './downstream-peer.js';
import { ToolCallAuditService, type ToolCallOutcome } from './tool-call-audit.service.js';
import { ToolSearchService } from './tool-search.service.js';

export interface ExecuteOptions {
  readonly caller: CallerContext;
  readonly signal: AbortSignal;
  /** Set when the client asked for progress; upstream progress is relayed under this token. */
  readonly progressToken?: ProgressToken;
  readonly sendProgress: (params: {
    progressToken: ProgressToken;
    progress: number;
    total?: number;
    message?: string;
  }) => Promise<void>;
  /** The calling client: sampling, elicitation, roots and log messages of the upstream call reach it. */
  readonly peer?: DownstreamPeer;
  /** The MCP client's `clientInfo` (audit records). */
  readonly client?: Implementation;
}

/**
 * `execute_mcp_tool`: resolve the path, forward `tools/call` to the owning upstream and return
 * its result verbatim. Failures an agent can act on come back as `isError` results that say
 * what to try next (docs/protocol.md "`execute_mcp_tool`").
 */
@Injectable()
export class ToolExecutorService {
  private readonly logger = new Logger(ToolExecutorService.name);

  constructor(
    private readonly config: SatelliteConfig,
    private readonly catalog: ToolCatalogService,
    private readonly upstreams: UpstreamManagerService,
    private readonly search: ToolSearchService,
    private readonly contexts: CallContextRegistry,
    private readonly metrics: MetricsService,
    private readonly quotas: ClientQuotaService,
    private readonly audit: ToolCallAuditService,
  ) {}

  resolve(toolPath: string, caller: CallerContext): CatalogEntry | undefined {
    let entry = this.catalog.get(toolPath);
    if (!entry) {
      const colon = toolPath.indexOf(':');
      if (colon > 0)
        entry = this.catalog.get(`${toolPath.slice(0, colon)}-${toolPath.slice(colon + 1)}`);
    }
    return entry && canUse(caller, entry) ? entry : undefined;
  }

  async execute(
    toolPath: string,
    args: Record<string, unknown>,
    opts: ExecuteOptions,
  ): Promise<CallToolResult> {
    const entry = this.resolve(toolPath, opts.caller);
    const started = Date.now();
    if (!entry) {
      const suggestions = this.search.suggest(toolPath, opts.caller);
      this.auditCall(undefined, toolPath, args, opts, started, 'error', 'unknown tool path');
      return errorResult(
        `Unknown tool path "${toolPath}".` +
          (suggestions.length ? ` Closest matches: ${suggestions.join(', ')}.` : '') +
          ' Use discover_mcp_tools to find the right tool_path.',
      );
    }
    const def = this.upstreams.get(entry.serverId)?.def;
    const timeout = def?.timeoutMs ?? this.config.discovery.callTimeoutMs;
    const { progressToken } = opts;
    let release: () => void;
    try {
      release = this.quotas.enterCall(opts.caller); // a JSON-RPC error past the caller's limit
    } catch (err) {
      this.auditCall(
        entry,
        entry.tool.name,
        args,
        opts,
        started,
        'refused',
        (err as Error).message,
      );
      throw err;
    }
    // The call's own record: upstream sampling, elicitation, roots and log messages of this
    // call find their client through it (call-context.registry.ts), never through a token or id.
    const call = this.contexts.begin(entry.serverId, opts.peer);
    const target = {
      method: 'tools/call',
      tool: entry.tool.name,
      signal: opts.signal,
      ...(opts.peer ? { affinity: opts.peer.sessionId } : {}),
    };
    try {
      const result = await this.upstreams.withCall(entry.serverId, target, (client) =>
        this.contexts.within(call, () =>
          client.request(
            { method: 'tools/call', params: { name: entry.tool.name, arguments: args } },
            CallToolResultSchema,
            {
              signal: opts.signal,
              timeout,
              resetTimeoutOnProgress: true,
              ...(progressToken !== undefined
                ? {
                    onprogress: (p) => {
                      const send = () => opts.sendProgress({ ...p, progressToken });
                      const sending = opts.peer
                        ? this.contexts.sendFor(call, opts.peer, send)
                        : send();
                      sending.catch(() => undefined);
                    },
                  }
                : {}),
            },
          ),
        ),
      );
      // What the upstream sent during the call (progress, logs) goes out before the result does.
      await this.contexts.flushed(call);
      this.logCall(
        entry,
        args,
        opts,
        started,
        result.isError ? 'tool returned isError' : undefined,
      );
      return result;
    } catch (err) {
      await this.contexts.flushed(call);
      if (opts.signal.aborted) {
        // cancelled by the client: no answer is expected
        this.auditCall(entry, entry.tool.name, args, opts, started, 'cancelled');
        throw err;
      }
      const message = describeFailure(entry, err, timeout);
      this.logCall(entry, args, opts, started, message);
      this.logger.warn(`execute ${entry.path} failed: ${message}`);
      return errorResult(message);
    } finally {
      release();
      this.contexts.end(call);
    }
  }

  private logCall(
    entry: CatalogEntry,
    args: unknown,
    opts: ExecuteOptions,
    started: number,
    error?: string,
  ): void {
    const labels = { server: entry.serverSlug, tool: entry.tool.name };
    this.metrics.toolCalls.inc({ ...labels, outcome: error === undefined ? 'ok' : 'error' });
    this.metrics.toolCallDuration.observe(labels, (Date.now() - started) / 1000);
    this.auditCall(entry, entry.tool.name, args, opts, started, error ? 'error' : 'ok', error);
  }

  /** The audit record (log, and the backend's request logs in managed mode). */
  private auditCall(
    entry: CatalogEntry | undefined,
    tool: string,
    args: unknown,
    opts: ExecuteOptions,
    started: number,
    outcome: ToolCallOutcome,
    error?: string,
  ): void {
    this.audit.record({
      caller: opts.caller,
      endpoint: 'meta',
      ...(entry
        ? { server: { id: entry.serverId, slug: entry.serverSlug, team: entry.team } }
        : {}),
      tool,
      args,
      ...(opts.client ? { client: opts.client } : {}),
      ...(opts.peer ? { sessionId: opts.peer.sessionId } : {}),
      outcome,
      ...(error ? { error } : {}),
      startedAt: started,
      durationMs: Date.now() - started,
    });
  }
}

export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}

function describeFailure(entry: CatalogEntry, err: unknown, timeout: number): string {
  const server = entry.serverSlug;
  if (err instanceof ServerBusyError) {
    return `Server "${server}" is busy: ${err.limit} calls are running and ${err.queue} waiting, its limit. The call was not sent. Try again in a few seconds.`;
  }
  if (err instanceof CircuitOpenError) {
    return `Server "${server}" is failing: its circuit breaker is open (${err.detail}). The call was not sent. Try again later, or use discover_mcp_tools to find another tool.`;
  }
  if (
    err instanceof UpstreamUnavailableError ||
    (err instanceof Error && err.name === 'ProcessUnavailableError')
  ) {
    return `Server "${server}" is unavailable: ${err.message}. Try again later, or use discover_mcp_tools to find another tool.`;
  }
  if (err instanceof McpError) {
    if (err.code === (ErrorCode.RequestTimeout as number)) {
      return `Tool ${entry.path} timed out after ${timeout} ms on server "${server}". Try again, or with a smaller request.`;
    }
    if (err.code === (ErrorCode.ConnectionClosed as number)) {
      return `Server "${server}" closed the connection during the call (it may have crashed). Try again in a few seconds.`;
    }
    return `Server "${server}" answered with an error (${err.code}): ${err.message}. Check the arguments against the tool's input_schema.`;
  }
  return `Calling ${entry.path} on server "${server}" failed: ${(err as Error).message ?? String(err)}. Try again later.`;
}
