import { Injectable, Logger } from '@nestjs/common';
import {
  CallToolResultSchema,
  type CallToolResult,
  type Implementation,
  type ProgressToken,
} from '@modelcontextprotocol/sdk/types.js';
import { ClientQuotaService } from '../auth/client-quota.service.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { CallContextRegistry } from './call-context.registry.js';
import { type CallerContext, canUse } from './caller-context.js';
import type { DownstreamPeer } from './downstream-peer.js';
import { ToolCallAuditService, type ToolCallOutcome } from './tool-call-audit.service.js';
import {
  heldToolFailure,
  ToolCallFailure,
  unknownToolFailure,
  upstreamFailure,
} from './tool-call-failure.js';
import { PersistedCatalogService } from '../discovery/persisted-catalog.service.js';
import { ToolSearchService } from './tool-search.service.js';
import { type TraceContext, traceMeta } from './trace-context.js';

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
  /** Where the call came in (audit records): `meta` (execute_mcp_tool) unless said. */
  readonly endpoint?: 'meta' | 'rest';
  /**
   * Runs once the tool is resolved, before anything reaches the upstream (the REST edge validates
   * the arguments here); what it throws is audited as `refused` and thrown on.
   */
  readonly beforeCall?: (entry: CatalogEntry) => void;
  /** W3C trace context of the request: passed on in the upstream call's `_meta`, audited. */
  readonly trace?: TraceContext;
  /** Upstream timeout in place of the server's (a call run as a task, docs/tasks.md). */
  readonly timeoutMs?: number;
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
    private readonly pinning: PersistedCatalogService,
  ) {}

  /** A path that names a tool the caller's server holds back under `hold` pinning. */
  private heldTool(toolPath: string, caller: CallerContext) {
    for (const { def } of this.upstreams.list()) {
      if (!toolPath.startsWith(`${def.slug}-`) || !canUse(caller, def)) continue;
      const tool = toolPath.slice(def.slug.length + 1);
      if (this.pinning.isHeld(def.id, tool)) return { server: def.slug, tool };
    }
    return undefined;
  }

  resolve(toolPath: string, caller: CallerContext): CatalogEntry | undefined {
    let entry = this.catalog.get(toolPath);
    if (!entry) {
      const colon = toolPath.indexOf(':');
      if (colon > 0)
        entry = this.catalog.get(`${toolPath.slice(0, colon)}-${toolPath.slice(colon + 1)}`);
    }
    return entry && canUse(caller, entry) ? entry : undefined;
  }

  /** `execute_mcp_tool`: every failure an agent can act on is an `isError` result. */
  async execute(
    toolPath: string,
    args: Record<string, unknown>,
    opts: ExecuteOptions,
  ): Promise<CallToolResult> {
    try {
      return await this.call(toolPath, args, opts);
    } catch (err) {
      if (err instanceof ToolCallFailure) return errorResult(err.message);
      throw err;
    }
  }

  /**
   * The call itself: the upstream's result, or a ToolCallFailure saying why there is none (an
   * unknown path, an unavailable server, a timeout, an upstream error). A refusal by quota and a
   * cancelled call throw what they threw.
   */
  async call(
    toolPath: string,
    args: Record<string, unknown>,
    opts: ExecuteOptions,
  ): Promise<CallToolResult> {
    const entry = this.resolve(toolPath, opts.caller);
    const started = Date.now();
    if (!entry) {
      const held = this.heldTool(toolPath, opts.caller);
      if (held) {
        this.auditCall(undefined, toolPath, args, opts, started, 'refused', 'tool held by pinning');
        throw heldToolFailure(toolPath, held.server, held.tool);
      }
      const failure = unknownToolFailure(toolPath, this.search.suggest(toolPath, opts.caller));
      this.auditCall(undefined, toolPath, args, opts, started, 'error', 'unknown tool path');
      throw failure;
    }
    const def = this.upstreams.get(entry.serverId)?.def;
    const timeout = opts.timeoutMs ?? def?.timeoutMs ?? this.config.discovery.callTimeoutMs;
    const { progressToken } = opts;
    let release: () => void;
    try {
      opts.beforeCall?.(entry);
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
            {
              method: 'tools/call',
              params: {
                name: entry.tool.name,
                arguments: args,
                ...(opts.trace ? { _meta: traceMeta(opts.trace) } : {}),
              },
            },
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
        result,
      );
      return result;
    } catch (err) {
      await this.contexts.flushed(call);
      if (opts.signal.aborted) {
        // cancelled by the client: no answer is expected
        this.auditCall(entry, entry.tool.name, args, opts, started, 'cancelled');
        throw err;
      }
      const failure = upstreamFailure(entry, err, timeout);
      this.logCall(entry, args, opts, started, failure.message, errorResult(failure.message));
      this.logger.warn(`execute ${entry.path} failed: ${failure.message}`);
      throw failure;
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
    result?: CallToolResult,
  ): void {
    const labels = { server: entry.serverSlug, tool: entry.tool.name };
    this.metrics.toolCalls.inc({ ...labels, outcome: error === undefined ? 'ok' : 'error' });
    this.metrics.toolCallDuration.observe(labels, (Date.now() - started) / 1000);
    const outcome = error ? 'error' : 'ok';
    this.auditCall(entry, entry.tool.name, args, opts, started, outcome, error, result);
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
    result?: CallToolResult,
  ): void {
    this.audit.record({
      caller: opts.caller,
      endpoint: opts.endpoint ?? 'meta',
      ...(entry
        ? { server: { id: entry.serverId, slug: entry.serverSlug, team: entry.team } }
        : {}),
      tool,
      args,
      ...(opts.client ? { client: opts.client } : {}),
      ...(opts.peer ? { sessionId: opts.peer.sessionId } : {}),
      ...(opts.trace ? { trace: opts.trace } : {}),
      outcome,
      ...(error ? { error } : {}),
      ...(result ? { result } : {}),
      startedAt: started,
      durationMs: Date.now() - started,
    });
  }
}

export function errorResult(text: string): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true };
}
