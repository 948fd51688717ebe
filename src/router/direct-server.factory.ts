import { Injectable, Logger } from '@nestjs/common';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  type JSONRPCRequest,
  McpError,
  type Result,
  ResultSchema,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { ClientQuotaService } from '../auth/client-quota.service.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { UpstreamUnavailableError } from '../discovery/discovery.errors.js';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { CallContextRegistry, type DownstreamCall } from './call-context.registry.js';
import { type CallerContext, canUse } from './caller-context.js';
import { heldToolMessage } from './tool-call-failure.js';
import { LazySchemaValidator } from './lazy-schema-validator.js';
import { PersistedCatalogService } from '../discovery/persisted-catalog.service.js';
import { peerOfRequest, peerOfSession } from './peers.js';
import { ToolCallAuditService, type ToolCallOutcome } from './tool-call-audit.service.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

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

  /** `caller` is who opened the session: tool calls count against its quota and audit records. */
  async create(def: ServerDefinition, caller: CallerContext): Promise<DirectSession> {
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
      request.method === 'tools/call'
        ? this.callTool(def, caller, server, request, extra)
        : request.method === 'tools/list'
          ? this.listTools(def, server, request, extra)
          : this.forward(def, server, request, extra);
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

  /** The upstream's tools/list, without the tools `hold` pinning keeps out (as on /mcp). */
  private async listTools(
    def: ServerDefinition,
    server: Server,
    request: JSONRPCRequest,
    extra: Extra,
  ): Promise<Result> {
    const result = await this.forward(def, server, request, extra);
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

  /** A tools/call: limited per caller like execute_mcp_tool, and audited. */
  private async callTool(
    def: ServerDefinition,
    caller: CallerContext,
    server: Server,
    request: JSONRPCRequest,
    extra: Extra,
  ): Promise<Result> {
    const started = Date.now();
    const tool = typeof request.params?.name === 'string' ? request.params.name : '';
    const audit = (outcome: ToolCallOutcome, error?: string, result?: Result) =>
      this.audit.record({
        caller,
        endpoint: 'direct',
        server: { id: def.id, slug: def.slug, team: def.team },
        tool,
        args: request.params?.arguments,
        ...(server.getClientVersion() ? { client: server.getClientVersion() } : {}),
        ...(extra.sessionId ? { sessionId: extra.sessionId } : {}),
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
      const result = await this.forward(def, server, request, extra);
      audit(
        result.isError === true ? 'error' : 'ok',
        result.isError ? 'tool returned isError' : undefined,
        result,
      );
      return result;
    } catch (err) {
      audit(extra.signal.aborted ? 'cancelled' : 'error', (err as Error).message);
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

  private async forward(
    def: ServerDefinition,
    server: Server,
    request: JSONRPCRequest,
    extra: Extra,
  ): Promise<Result> {
    const params = request.params;
    const sessionId = extra.sessionId ?? 'stdio';
    const uri = typeof params?.uri === 'string' ? params.uri : '';
    if (request.method === 'resources/unsubscribe') {
      // Other sessions still subscribed keep the upstream subscription alive.
      if (!this.contexts.unsubscribe(def.id, sessionId, uri)) return {};
    }
    const call = this.contexts.begin(def.id, peerOfRequest(server, extra));
    try {
      const result = await this.callUpstream(def, request.method, params, extra, call);
      if (request.method === 'resources/subscribe') this.contexts.subscribe(def.id, sessionId, uri);
      return result;
    } finally {
      this.contexts.end(call);
    }
  }

  private async callUpstream(
    def: ServerDefinition,
    method: string,
    params: (Record<string, unknown> & { _meta?: Record<string, unknown> }) | undefined,
    extra: Extra,
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
      signal: extra.signal,
      ...(extra.sessionId ? { affinity: extra.sessionId } : {}),
    };
    try {
      const result = await this.upstreams.withCall(def.id, target, (client) =>
        this.contexts.within(call, () =>
          client.request({ method, ...(forwarded ? { params: forwarded } : {}) }, ResultSchema, {
            signal: extra.signal,
            timeout: def.timeoutMs ?? this.config.discovery.callTimeoutMs,
            resetTimeoutOnProgress: true,
            ...(progressToken !== undefined
              ? {
                  onprogress: (p) =>
                    void this.contexts
                      .sendFor(call, call.peer!, () =>
                        extra.sendNotification({
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
      if (err instanceof McpError || err instanceof UpstreamUnavailableError) throw err;
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
