import { Injectable, Logger } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  ErrorCode,
  type Implementation,
  type Notification,
  RELATED_TASK_META_KEY,
  McpError,
  type Result,
  ResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { ClientQuotaService } from '../auth/client-quota.service.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { UpstreamUnavailableError } from '../discovery/discovery.errors.js';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { CallContextRegistry, type DownstreamCall } from './call-context.registry.js';
import { type CallerContext, canUse } from './caller-context.js';
import type { DownstreamPeer } from './downstream-peer.js';
import { heldToolMessage } from './tool-call-failure.js';
import { LazySchemaValidator } from './lazy-schema-validator.js';
import { PersistedCatalogService } from '../discovery/persisted-catalog.service.js';
import { peerOfRequest, peerOfSession } from './peers.js';
import { ToolCallAuditService, type ToolCallOutcome } from './tool-call-audit.service.js';
import { DirectTaskIds } from './direct-task-ids.js';
import { relayedError } from './relayed-error.js';
import { traceContextOf, traceMeta } from './trace-context.js';

/**
 * One client request relayed to the upstream, whichever protocol era it came in: who the client
 * is (its upstream messages reach it through `peer`), the request's signal, and the stream its
 * progress goes on.
 */
export interface RelayContext {
  readonly signal: AbortSignal;
  /** The downstream session (2025-11-25); absent for the stateless 2026-07-28 era. */
  readonly sessionId?: string;
  readonly peer: DownstreamPeer;
  /** The MCP client's `clientInfo` (audit records). */
  readonly client?: Implementation;
  readonly sendNotification: (notification: Notification) => Promise<void>;
  /** Who owns the tasks this client's calls create upstream (ClientAccess.owner). */
  readonly owner?: string;
  /** The HTTP request's headers, where a `traceparent` may come from. */
  readonly headers?: Record<string, string | string[] | undefined>;
  /** The upstream timeout in place of the server's per-call one (a call run as a task). */
  readonly timeoutMs?: number;
}

/** A relayed client request: method and params, as the client sent them. */
export interface RelayedRequest {
  readonly method: string;
  readonly params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
}

export interface DirectSession {
  readonly server: Server;
  /** Binds the session id once known; returns what to run when the session ends. */
  bind(sessionId: string): () => void;
}

/**
 * `/i/{server_slug}/mcp`: an SDK Server whose capabilities, info and instructions mirror the
 * upstream's, and that passes every request and notification through unchanged
 * (docs/protocol.md "Direct endpoint"). Per-session upstream state that a shared connection would
 * mix up is kept here: resource subscriptions are counted per session.
 */
@Injectable()
export class DirectServerFactory {
  private readonly taskIds = new DirectTaskIds();
  private readonly logger = new Logger(DirectServerFactory.name);

  constructor(
    private readonly config: SatelliteConfig,
    private readonly upstreams: UpstreamManagerService,
    private readonly contexts: CallContextRegistry,
    private readonly quotas: ClientQuotaService,
    private readonly audit: ToolCallAuditService,
    private readonly pinning: PersistedCatalogService,
  ) {}

  /** The server a direct endpoint names, among those the caller may use (own per-user instance first). */
  resolve(slug: string, caller: CallerContext): ServerDefinition | undefined {
    const candidates = this.upstreams
      .list()
      .map((u) => u.def)
      .filter((d) => d.slug === slug && d.enabled && canUse(caller, d));
    return (
      candidates.find((d) => d.userId !== undefined && d.userId === caller.userId) ?? candidates[0]
    );
  }

  /**
   * `caller` is who opened the session: tool calls count against its quota and audit records;
   * `owner` (ClientAccess.owner) owns the tasks its calls create upstream.
   */
  async create(
    def: ServerDefinition,
    caller: CallerContext,
    owner = 'anonymous',
  ): Promise<DirectSession> {
    const upstream = await this.upstreams.withClient(def.id, (c) =>
      Promise.resolve({
        capabilities: c.getServerCapabilities() ?? {},
        info: c.getServerVersion(),
        instructions: c.getInstructions(),
      }),
    );
    const server = new Server(upstream.info ?? { name: def.slug, version: '0.0.0' }, {
      capabilities: upstream.capabilities,
      ...(upstream.instructions ? { instructions: upstream.instructions } : {}),
      jsonSchemaValidator: new LazySchemaValidator(),
    });
    // The SDK answers logging/setLevel itself when logging is offered; it must reach the upstream.
    server.removeRequestHandler('logging/setLevel');
    server.fallbackRequestHandler = (request, extra) =>
      this.relay(def, caller, request, {
        signal: extra.signal,
        ...(extra.sessionId ? { sessionId: extra.sessionId } : {}),
        peer: peerOfRequest(server, extra),
        ...(server.getClientVersion() ? { client: server.getClientVersion() } : {}),
        sendNotification: (notification) => extra.sendNotification(notification),
        owner,
        ...(extra.requestInfo?.headers ? { headers: extra.requestInfo.headers } : {}),
      });
    server.fallbackNotificationHandler = (notification) =>
      this.upstreams
        .withClient(def.id, (c) => c.notification(notification as never))
        .catch((err: Error) => {
          this.logger.debug(`forwarding ${notification.method} to ${def.slug}: ${err.message}`);
        });
    return {
      server,
      bind: (sessionId) => {
        const detach = this.contexts.attach(def.id, peerOfSession(server, sessionId));
        return () => {
          for (const uri of this.contexts.subscriptionsOf(def.id, sessionId)) {
            if (this.contexts.unsubscribe(def.id, sessionId, uri))
              void this.upstreamRequest(def, 'resources/unsubscribe', { uri });
          }
          detach();
        };
      },
    };
  }

  /**
   * A client request to the server of a direct endpoint, relayed unchanged (tools/call limited
   * and audited, tools/list without held tools). Both protocol eras come through here.
   */
  relay(
    def: ServerDefinition,
    caller: CallerContext,
    request: RelayedRequest,
    rc: RelayContext,
  ): Promise<Result> {
    switch (request.method) {
      case 'tools/call':
        return this.callTool(def, caller, request, rc);
      case 'tools/list':
        return this.listTools(def, request, rc);
      case 'tasks/get':
      case 'tasks/result':
      case 'tasks/cancel':
        return this.taskRequest(def, request, rc);
      case 'tasks/list':
        return this.listTasks(def, request, rc);
      default:
        return this.forward(def, request, rc);
    }
  }

  /** What a 2026-07-28 server of this endpoint announces: the upstream's own. */
  async describe(def: ServerDefinition): Promise<{
    capabilities: Record<string, unknown>;
    info?: Implementation;
    instructions?: string;
  }> {
    return this.upstreams.withClient(def.id, (c) =>
      Promise.resolve({
        capabilities: c.getServerCapabilities() ?? {},
        ...(c.getServerVersion() ? { info: c.getServerVersion() } : {}),
        ...(c.getInstructions() ? { instructions: c.getInstructions() } : {}),
      }),
    );
  }

  /** The upstream's tools/list, without the tools `hold` pinning keeps out (as on /mcp). */
  private async listTools(
    def: ServerDefinition,
    request: RelayedRequest,
    rc: RelayContext,
  ): Promise<Result> {
    const result = await this.forward(def, request, rc);
    const tools = (result as { tools?: unknown }).tools;
    if (!Array.isArray(tools)) return result;
    return {
      ...result,
      tools: tools.filter(
        (t: { name?: unknown }) =>
          typeof t?.name !== 'string' || !this.pinning.isHeld(def.id, t.name),
      ),
    };
  }

  /**
   * A tools/call: limited per caller like execute_mcp_tool, and audited; its trace context (from
   * `_meta` or the `traceparent` header, validated) goes upstream in `_meta`; a task it creates
   * upstream gets an id of this endpoint (direct-task-ids.ts).
   */
  private async callTool(
    def: ServerDefinition,
    caller: CallerContext,
    incoming: RelayedRequest,
    rc: RelayContext,
  ): Promise<Result> {
    const started = Date.now();
    const owner = rc.owner ?? 'anonymous';
    const trace = traceContextOf(incoming.params?._meta, rc.headers);
    const {
      traceparent: _tp,
      tracestate: _ts,
      baggage: _bg,
      ...meta
    } = incoming.params?._meta ?? {};
    const request: RelayedRequest = {
      ...incoming,
      params: { ...incoming.params, _meta: { ...meta, ...traceMeta(trace) } },
    };
    const tool = typeof request.params?.name === 'string' ? request.params.name : '';
    const audit = (outcome: ToolCallOutcome, error?: string, result?: Result) =>
      this.audit.record({
        caller,
        endpoint: 'direct',
        server: { id: def.id, slug: def.slug, team: def.team },
        tool,
        args: request.params?.arguments,
        ...(rc.client ? { client: rc.client } : {}),
        sessionId: rc.sessionId ?? rc.peer.sessionId,
        ...(trace ? { trace } : {}),
        outcome,
        ...(error ? { error } : {}),
        ...(result ? { result } : {}),
        startedAt: started,
        durationMs: Date.now() - started,
      });
    if (this.pinning.isHeld(def.id, tool)) {
      audit('refused', 'tool held by pinning');
      return { content: [{ type: 'text', text: heldToolMessage(def.slug, tool) }], isError: true };
    }
    let release: () => void;
    try {
      release = this.quotas.enterCall(caller);
    } catch (err) {
      audit('refused', (err as Error).message);
      throw err;
    }
    try {
      const result = await this.forward(def, request, rc);
      const task = (result as { task?: { taskId?: unknown } }).task;
      if (request.params?.task !== undefined && typeof task?.taskId === 'string') {
        // The call goes on upstream as a task; its end is the upstream's to tell.
        audit('ok', undefined);
        return {
          ...result,
          task: { ...task, taskId: this.taskIds.register(owner, def.slug, task.taskId) },
        };
      }
      audit(
        result.isError === true ? 'error' : 'ok',
        result.isError ? 'tool returned isError' : undefined,
        result,
      );
      return result;
    } catch (err) {
      audit(rc.signal.aborted ? 'cancelled' : 'error', (err as Error).message);
      // Busy, breaker open, no instance: a tool error the agent can read, as on /mcp.
      if (err instanceof UpstreamUnavailableError) {
        return {
          content: [{ type: 'text', text: `${err.message}. Try again later.` }],
          isError: true,
        };
      }
      throw err;
    } finally {
      release();
    }
  }

  /** tasks/get, tasks/result, tasks/cancel of a task this owner created through this endpoint. */
  private async taskRequest(
    def: ServerDefinition,
    request: RelayedRequest,
    rc: RelayContext,
  ): Promise<Result> {
    const owner = rc.owner ?? 'anonymous';
    const taskId = request.params?.taskId;
    const upstreamId = this.taskIds.upstreamId(owner, def.slug, taskId);
    if (upstreamId === undefined)
      throw new McpError(ErrorCode.InvalidParams, `Task not found: ${String(taskId)}`);
    const result = await this.forward(
      def,
      { ...request, params: { ...request.params, taskId: upstreamId } },
      rc,
    );
    const clientId = taskId as string;
    const own = (id: unknown) => (id === upstreamId ? clientId : String(id));
    const related = result._meta?.[RELATED_TASK_META_KEY] as { taskId?: unknown } | undefined;
    return {
      ...result,
      ...('taskId' in result ? { taskId: own(result.taskId) } : {}),
      ...(related
        ? {
            _meta: {
              ...result._meta,
              [RELATED_TASK_META_KEY]: { ...related, taskId: own(related.taskId) },
            },
          }
        : {}),
    };
  }

  /** The upstream's tasks/list, only the tasks this owner created through this endpoint. */
  private async listTasks(
    def: ServerDefinition,
    request: RelayedRequest,
    rc: RelayContext,
  ): Promise<Result> {
    const owner = rc.owner ?? 'anonymous';
    const result = await this.forward(def, request, rc);
    const tasks = (result as { tasks?: unknown }).tasks;
    if (!Array.isArray(tasks)) return result;
    return {
      ...result,
      tasks: tasks.flatMap((t: { taskId?: unknown }) => {
        const id =
          typeof t?.taskId === 'string'
            ? this.taskIds.clientId(owner, def.slug, t.taskId)
            : undefined;
        return id ? [{ ...t, taskId: id }] : [];
      }),
    };
  }

  private async forward(
    def: ServerDefinition,
    request: RelayedRequest,
    rc: RelayContext,
  ): Promise<Result> {
    const params = request.params;
    const sessionId = rc.sessionId ?? rc.peer.sessionId;
    const uri = typeof params?.uri === 'string' ? params.uri : '';
    if (request.method === 'resources/unsubscribe') {
      // Other sessions still subscribed keep the upstream subscription alive.
      if (!this.contexts.unsubscribe(def.id, sessionId, uri)) return {};
    }
    const call = this.contexts.begin(def.id, rc.peer);
    try {
      const result = await this.callUpstream(def, request.method, params, rc, call);
      if (request.method === 'resources/subscribe') this.contexts.subscribe(def.id, sessionId, uri);
      return result;
    } finally {
      this.contexts.end(call);
    }
  }

  private async callUpstream(
    def: ServerDefinition,
    method: string,
    params: RelayedRequest['params'],
    rc: RelayContext,
    call: DownstreamCall,
  ): Promise<Result> {
    // The client's progress token stays here: upstream, the SDK client uses a token of its own
    // (unique on the connection), and this call's closure maps its progress back to this client.
    const { progressToken, ...meta } = params?._meta ?? {};
    const forwarded = params
      ? { ...params, ...(Object.keys(meta).length ? { _meta: meta } : {}) }
      : undefined;
    if (forwarded && Object.keys(meta).length === 0) delete forwarded._meta;
    const target = {
      method,
      ...(method === 'tools/call' && typeof params?.name === 'string' ? { tool: params.name } : {}),
      signal: rc.signal,
      ...(rc.sessionId ? { affinity: rc.sessionId } : {}),
    };
    try {
      const result = await this.upstreams.withCall(def.id, target, (client) =>
        this.contexts.within(call, () =>
          client.request({ method, ...(forwarded ? { params: forwarded } : {}) }, ResultSchema, {
            signal: rc.signal,
            timeout: rc.timeoutMs ?? def.timeoutMs ?? this.config.discovery.callTimeoutMs,
            resetTimeoutOnProgress: true,
            ...(progressToken !== undefined
              ? {
                  onprogress: (p) =>
                    void this.contexts
                      .sendFor(call, call.peer!, () =>
                        rc.sendNotification({
                          method: 'notifications/progress',
                          params: { ...p, progressToken: progressToken as string | number },
                        }),
                      )
                      .catch(() => undefined),
                }
              : {}),
          }),
        ),
      );
      // What the upstream sent during the call (progress, logs) goes out before the result does.
      await this.contexts.flushed(call);
      return result;
    } catch (err) {
      await this.contexts.flushed(call);
      if (err instanceof McpError) throw relayedError(err);
      if (err instanceof UpstreamUnavailableError) throw err;
      throw new McpError(
        ErrorCode.InternalError,
        `server "${def.slug}" is unavailable: ${(err as Error).message}`,
      );
    }
  }

  private upstreamRequest(
    def: ServerDefinition,
    method: string,
    params: Record<string, unknown>,
  ): Promise<unknown> {
    return this.upstreams
      .withClient(def.id, (c) => c.request({ method, params }, ResultSchema))
      .catch((err: Error) => this.logger.debug(`${method} on ${def.slug}: ${err.message}`));
  }
}
