import { Injectable } from '@nestjs/common';
import type { inputRequired, Server, ServerContext } from '@modelcontextprotocol/server';
import {
  type CallToolResult,
  type ClientCapabilities,
  ErrorCode,
  type Implementation,
  McpError,
  type Notification,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { ServerDefinition } from '../config/server-definition.js';
import type { CallerContext } from './caller-context.js';
import { DirectServerFactory } from './direct-server.factory.js';
import { DiscoverService } from './discover.service.js';
import type { DownstreamPeer } from './downstream-peer.js';
import { InputBridgeService, type RoundOutcome, type RoundSink } from './input-bridge.service.js';
import { DISCOVER_TOOL, EXECUTE_TOOL, META_TOOLS, executeArguments } from './meta-tools.js';
import { MetaToolServerFactory, META_INSTRUCTIONS } from './meta-tool-server.factory.js';
import { sdkV2 } from './sdk-v2.js';
import { ToolExecutorService } from './tool-executor.service.js';
import { traceContextOf } from './trace-context.js';
import { UsageService } from '../usage/usage.service.js';

/** The Tasks extension of 2026-07-28, as a client declares it in its capabilities' `extensions`. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
const TASK_METHODS = new Set(['tasks/get', 'tasks/update', 'tasks/cancel']);
/** Methods whose 2026-07-28 results may be `input_required` (multi round trip). */
const MULTI_ROUND_TRIP = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** One tool call to run as a task (the protocol layer hands it to the tasks module). */
export interface ModernTaskWork {
  readonly label: string;
  /** The server slug, or `meta` for execute_mcp_tool. */
  readonly origin: string;
  /** The request's `_meta`, envelope and trace context included. */
  readonly meta: Record<string, unknown>;
  run(signal: AbortSignal): Promise<CallToolResult>;
}

/** What the protocol layer plugs into a 2026-07-28 server: the Tasks extension, when bound. */
export interface ModernExtensions {
  startTask(work: ModernTaskWork): Promise<Record<string, unknown>>;
  handleTaskRequest(method: string, params: unknown): Promise<Record<string, unknown>>;
}

/** Who a 2026-07-28 request comes from (resolved per request by the guards). */
export interface ModernScope {
  readonly caller: CallerContext;
  /** The principal's owner key: a bridged call is resumed only by its owner. */
  readonly owner: string;
  readonly tasks?: ModernExtensions;
}

/**
 * Builds the per-request SDK v2 `Server` that answers one 2026-07-28 request on `/mcp` (the two
 * meta-tools) or on `/i/{slug}/mcp` (the upstream's surface, relayed): stateless, so any replica
 * answers any request (docs/protocol.md "Two protocol eras"). Upstream requests to the client
 * become `input_required` answers through InputBridgeService.
 */
@Injectable()
export class ModernServerFactory {
  constructor(
    private readonly config: SatelliteConfig,
    private readonly discover: DiscoverService,
    private readonly executor: ToolExecutorService,
    private readonly metaServers: MetaToolServerFactory,
    private readonly directServers: DirectServerFactory,
    private readonly bridge: InputBridgeService,
    private readonly usage: UsageService,
  ) {}

  private get listTtlMs(): number {
    return this.config.mcp.toolsListTtlMs;
  }

  meta(scope: ModernScope): Server {
    const server = new (sdkV2().Server)(
      {
        name: 'deploystack-satellite',
        title: 'DeployStack Satellite',
        version: this.config.version,
      },
      {
        capabilities: {
          tools: {},
          resources: {},
          prompts: {},
          ...(scope.tasks ? { extensions: { [TASKS_EXTENSION]: {} } } : {}),
        },
        instructions: META_INSTRUCTIONS,
        // The two meta-tools are the same for every caller.
        cacheHints: { 'tools/list': { ttlMs: this.listTtlMs, cacheScope: 'public' } },
      },
    );
    server.setRequestHandler('tools/list', () => ({ tools: [...META_TOOLS] }) as never);
    server.setRequestHandler('resources/list', () => ({ resources: [] }));
    server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: [] }));
    server.setRequestHandler('prompts/list', () => ({ prompts: [] }));
    this.installTasks(server, scope);
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const args = request.params.arguments ?? {};
      if (request.params.name === DISCOVER_TOOL) {
        const answer = await this.discover.discover(args, scope.caller);
        this.usage.discoverAnswered(this.metaServers.answerTokens(answer));
        return answer;
      }
      if (request.params.name !== EXECUTE_TOOL) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `Unknown tool "${request.params.name}": this endpoint has only ${DISCOVER_TOOL} and ${EXECUTE_TOOL}`,
        );
      }
      const { path, toolArgs } = executeArguments(args);
      const client = clientInfoOf(ctx);
      const trace = traceContextOf(ctx.mcpReq._meta);
      // A call run as a task gets the task's own upstream timeout (docs/tasks.md).
      const run = (peer: DownstreamPeer | undefined, signal: AbortSignal, timeoutMs?: number) =>
        this.executor.execute(path, toolArgs, {
          caller: scope.caller,
          signal,
          ...(trace ? { trace } : {}),
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          ...(progressTokenOf(ctx) !== undefined ? { progressToken: progressTokenOf(ctx)! } : {}),
          sendProgress: (params) =>
            peer
              ? peer.sendNotification({ method: 'notifications/progress', params })
              : Promise.resolve(),
          ...(peer ? { peer } : {}),
          ...(client ? { client } : {}),
        });
      const task = this.asTask(scope, ctx, path, 'meta', (signal) =>
        run(undefined, signal, this.config.tasks.runTimeoutMs),
      );
      if (task) return task as never;
      return answer(await this.rounds(scope, ctx, (peer, signal) => run(peer, signal))) as never;
    });
    return server;
  }

  /**
   * The server of a direct endpoint for one request: the upstream's capabilities, info and
   * instructions, every request relayed (`described` comes from DirectServerFactory.describe).
   */
  direct(
    def: ServerDefinition,
    described: Awaited<ReturnType<DirectServerFactory['describe']>>,
    scope: ModernScope,
  ): Server {
    const server = new (sdkV2().Server)(described.info ?? { name: def.slug, version: '0.0.0' }, {
      capabilities: {
        ...modernCapabilities(described.capabilities),
        ...(scope.tasks ? { extensions: { [TASKS_EXTENSION]: {} } } : {}),
      },
      ...(described.instructions ? { instructions: described.instructions } : {}),
      // The upstream's tools (less held ones) are the same for every caller who may use it.
      cacheHints: { 'tools/list': { ttlMs: this.listTtlMs, cacheScope: 'private' } },
    });
    this.installTasks(server, scope);
    server.fallbackRequestHandler = async (request, ctx) => {
      const params = request.params;
      const client = clientInfoOf(ctx);
      const relay = (peer: DownstreamPeer, signal: AbortSignal, timeoutMs?: number) =>
        this.directServers.relay(
          def,
          scope.caller,
          { method: request.method, ...(params ? { params } : {}) },
          {
            signal,
            peer,
            ...(client ? { client } : {}),
            sendNotification: (notification) => peer.sendNotification(notification),
            owner: scope.owner,
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          },
        );
      if (request.method === 'tools/call') {
        const tool = typeof params?.name === 'string' ? params.name : '';
        const task = this.asTask(scope, ctx, `${def.slug}/${tool}`, def.slug, (signal) =>
          // A call run as a task gets the task's own upstream timeout (docs/tasks.md).
          relay(silentPeer, signal, this.config.tasks.runTimeoutMs).then(
            (r) => r as CallToolResult,
          ),
        );
        if (task) return await task;
      }
      if (!MULTI_ROUND_TRIP.has(request.method)) {
        // No input_required here: an upstream request during this call is refused upstream.
        return await relay(
          { ...silentPeer, sendNotification: (n) => notifySafely(ctx, n) },
          ctx.mcpReq.signal,
        );
      }
      return answer(await this.rounds(scope, ctx, relay));
    };
    return server;
  }

  /** Runs (or resumes, on a retry carrying requestState) a bridged call for one round. */
  private rounds(
    scope: ModernScope,
    ctx: ServerContext,
    run: (peer: DownstreamPeer, signal: AbortSignal) => Promise<Result>,
  ): Promise<RoundOutcome> {
    const sink: RoundSink = {
      notify: (n) => notifySafely(ctx, n),
      ...(progressTokenOf(ctx) !== undefined ? { progressToken: progressTokenOf(ctx)! } : {}),
      signal: ctx.mcpReq.signal,
    };
    const state = ctx.mcpReq.requestState<unknown>();
    if (typeof state === 'string')
      return this.bridge.resume(scope.owner, state, ctx.mcpReq.inputResponses, sink);
    return this.bridge.start(scope.owner, capabilitiesOf(ctx), sink, run);
  }

  /** A tools/call whose client declared the Tasks extension, when a provider is bound. */
  private asTask(
    scope: ModernScope,
    ctx: ServerContext,
    label: string,
    origin: string,
    run: (signal: AbortSignal) => Promise<CallToolResult>,
  ): Promise<Record<string, unknown>> | undefined {
    if (!scope.tasks) return undefined;
    const extensions = (capabilitiesOf(ctx) as { extensions?: Record<string, unknown> } | undefined)
      ?.extensions;
    if (!extensions?.[TASKS_EXTENSION]) return undefined;
    const meta = { ...(ctx.mcpReq._meta ?? {}), ...(ctx.mcpReq.envelope ?? {}) } as Record<
      string,
      unknown
    >;
    // The extension's task creation is server-directed: a request carries no TTL (its capability
    // is the empty object), so the task gets the configured lifetime (docs/tasks.md "Limits").
    return scope.tasks.startTask({ label, origin, meta, run });
  }

  private installTasks(server: Server, scope: ModernScope): void {
    const tasks = scope.tasks;
    if (!tasks) return;
    for (const method of TASK_METHODS) {
      server.setRequestHandler(method, { params: anyParams }, (params) =>
        tasks.handleTaskRequest(method, params),
      );
    }
  }
}

/** Params of a Tasks extension request: validated by the tasks module itself. */
const anyParams = {
  '~standard': {
    version: 1 as const,
    vendor: 'deploystack-satellite',
    validate: (value: unknown) => ({ value: (value ?? {}) as Record<string, unknown> }),
  },
};

/** A peer that can answer nothing: upstream requests of the call are refused upstream. */
const silentPeer: DownstreamPeer = {
  sessionId: 'stateless',
  capabilities: () => ({}),
  sendRequest: () =>
    Promise.reject(new McpError(ErrorCode.MethodNotFound, 'no client to answer this request')),
  sendNotification: () => Promise.resolve(),
};

function answer(outcome: RoundOutcome): Result | ReturnType<typeof inputRequired> {
  if (outcome.kind === 'complete') return outcome.result;
  return sdkV2().inputRequired({
    inputRequests: outcome.inputRequests as Parameters<typeof inputRequired>[0]['inputRequests'],
    requestState: outcome.requestState,
  });
}

function notifySafely(ctx: ServerContext, notification: Notification): Promise<void> {
  return ctx.mcpReq.notify(notification as never).catch(() => undefined);
}

function capabilitiesOf(ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return envelope?.[sdkV2().CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
}

function clientInfoOf(ctx: ServerContext): Implementation | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return envelope?.[sdkV2().CLIENT_INFO_META_KEY] as Implementation | undefined;
}

function progressTokenOf(ctx: ServerContext): string | number | undefined {
  const token = (ctx.mcpReq._meta as { progressToken?: unknown } | undefined)?.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? token : undefined;
}

/**
 * The upstream's 2025-11-25 capabilities, less what the 2026-07-28 era has no place for on a
 * stateless endpoint: resource subscriptions (per session upstream) and the old task capability.
 */
function modernCapabilities(capabilities: Record<string, unknown>): Record<string, unknown> {
  const { tasks: _tasks, ...rest } = capabilities;
  const resources = rest.resources as Record<string, unknown> | undefined;
  if (resources) {
    const { subscribe: _subscribe, ...others } = resources;
    rest.resources = others;
  }
  return rest;
}
