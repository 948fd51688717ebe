import type { IncomingHttpHeaders } from 'node:http';
import type { getRequestListener } from '@hono/node-server';
import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import type {
  AuthInfo,
  McpHttpHandler,
  McpRequestContext,
  Server,
} from '@modelcontextprotocol/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientAccessOf } from '../auth/client-auth.guard.js';
import { InFlightRequests } from '../events/in-flight-requests.js';
import { DirectServerFactory } from '../router/direct-server.factory.js';
import {
  type ModernExtensions,
  type ModernScope,
  ModernServerFactory,
} from '../router/modern-server.factory.js';
import { loadSdkV2 } from '../router/sdk-v2.js';
import { TASKS_API, type TasksApi, type TraceContext } from '../tasks/task-api.js';
import {
  checkMediaTypes,
  rpcError,
  SERVER_ERROR,
  noSuchServer,
  serverUnreachable,
} from './http-replies.js';
import { mayBeModern } from './era.js';
import { MalformedJsonBody } from './json-body.js';
import type { McpEndpoint } from './mcp-endpoint.js';
import { McpTransportService } from './mcp-transport.service.js';
import { OriginPolicyService } from './origin-policy.service.js';

/** What a request hands to the per-request server factory, through the SDK's `authInfo`. */
const SCOPE = 'satellite:modern-scope';
type RequestScope = ModernScope & { build: (scope: ModernScope) => Server };

/**
 * The 2026-07-28 era on `/mcp` and `/i/{slug}/mcp` (docs/protocol.md "Two protocol eras"): a POST
 * that carries the per-request `_meta` envelope is answered here, statelessly, by a fresh SDK v2
 * server; everything else (2025-11-25 and older, sessions, GET/DELETE) goes on to the session
 * transport unchanged. The same guards (authentication, quotas) ran before either.
 */
@Injectable()
export class ModernEraService implements OnModuleDestroy {
  private readonly logger = new Logger(ModernEraService.name);
  /** Made on the first 2026-07-28 request, with the SDK v2 (src/router/sdk-v2.ts). */
  private handler?: Promise<{ handler: McpHttpHandler; listen: typeof getRequestListener }>;
  private readonly extensions?: (owner: string) => ModernExtensions;

  constructor(
    private readonly servers: ModernServerFactory,
    private readonly directServers: DirectServerFactory,
    private readonly origins: OriginPolicyService,
    private readonly transport: McpTransportService,
    private readonly inFlight: InFlightRequests,
    @Optional() @Inject(TASKS_API) tasks?: TasksApi,
  ) {
    if (tasks) {
      this.extensions = (owner) => ({
        // TasksApi (src/tasks/task-api.ts): the provider is bound where the tasks module is.
        startTask: (work) =>
          tasks.startExtensionTask(owner, {
            label: work.label,
            origin: work.origin,
            ...(traceOf(work.meta) ? { trace: traceOf(work.meta)! } : {}),
            run: (signal) => work.run(signal),
          }),
        handleTaskRequest: (method, params) => tasks.handleExtensionRequest(owner, method, params),
      });
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (this.handler) await (await this.handler).handler.close();
  }

  /** The SDK v2's request handler and Hono's Node adapter, loaded by the first request. */
  private modernHandler(): Promise<{ handler: McpHttpHandler; listen: typeof getRequestListener }> {
    this.handler ??= Promise.all([loadSdkV2(), import('@hono/node-server')]).then(
      ([{ createMcpHandler }, { getRequestListener }]) => ({
        handler: createMcpHandler(
          (ctx: McpRequestContext) => {
            const scope = ctx.authInfo?.extra?.[SCOPE] as RequestScope | undefined;
            if (!scope) throw new Error('a 2026-07-28 request reached the SDK without its caller');
            return scope.build(scope);
          },
          {
            // 2025-era requests never reach this handler (classify() sends them to the sessions).
            legacy: 'reject',
            onerror: (err) => this.logger.debug(`2026-07-28 request: ${err.message}`),
          },
        ),
        listen: getRequestListener,
      }),
    );
    return this.handler;
  }

  /**
   * Answers the request when it is a 2026-07-28 one; otherwise answers nothing and returns false
   * (the caller hands it to the session transport).
   */
  async handle(req: FastifyRequest, reply: FastifyReply, endpoint: McpEndpoint): Promise<boolean> {
    if (!(await this.isModern(req))) return false;
    const refused = this.origins.refuse(req.headers);
    if (refused) {
      rpcError(reply, 403, SERVER_ERROR, `Forbidden: ${refused}`);
      return true;
    }
    const unacceptable = checkMediaTypes(req);
    if (unacceptable) {
      rpcError(reply, unacceptable.status, SERVER_ERROR, unacceptable.message);
      return true;
    }
    if (!this.transport.isAccepting()) {
      rpcError(reply, 503, SERVER_ERROR, 'Service Unavailable: the satellite is shutting down');
      return true;
    }
    const access = clientAccessOf(req);
    const base: ModernScope = {
      caller: access.caller,
      owner: access.owner,
      ...(this.extensions ? { tasks: this.extensions(access.owner) } : {}),
    };
    let build: RequestScope['build'];
    if (endpoint.kind === 'meta') {
      build = (scope) => this.servers.meta(scope);
    } else {
      const def = this.directServers.resolve(endpoint.slug, access.caller);
      if (!def) {
        noSuchServer(reply, endpoint.slug);
        return true;
      }
      let described: Awaited<ReturnType<DirectServerFactory['describe']>>;
      try {
        described = await this.directServers.describe(def);
      } catch (err) {
        serverUnreachable(reply, endpoint.slug, err);
        return true;
      }
      build = (scope) => this.servers.direct(def, described, scope);
    }
    const authInfo: AuthInfo = {
      token: '',
      clientId: access.caller.clientId ?? '',
      scopes: [...(access.caller.scopes ?? [])],
      extra: { [SCOPE]: { ...base, build } satisfies RequestScope },
    };
    const { handler, listen } = await this.modernHandler();
    this.inFlight.track(reply.raw);
    reply.hijack();
    const parsedBody: unknown = req.body;
    const listener = listen(
      (request: Request) => handler.fetch(request, { authInfo, parsedBody }),
      { overrideGlobalObjects: false },
    );
    await listener(req.raw, reply.raw);
    return true;
  }

  /**
   * A POST without a session that carries the 2026-07-28 envelope claim (the SDK's own
   * classification, so the two never disagree). Malformed JSON stays with the session transport,
   * which answers it -32700.
   */
  private async isModern(req: FastifyRequest): Promise<boolean> {
    if (req.method !== 'POST') return false;
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string' && sessionId !== '') return false;
    const body: unknown = req.body;
    if (body === undefined || body === null || body instanceof MalformedJsonBody) return false;
    if (!mayBeModern(req.headers, body)) return false;
    const probe = new Request(`http://satellite.internal${req.url}`, {
      method: 'POST',
      headers: webHeaders(req.headers),
    });
    const { isLegacyRequest } = await loadSdkV2();
    return !(await isLegacyRequest(probe, body));
  }
}

function webHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const v of value) out.append(name, v);
    else out.set(name, value);
  }
  return out;
}

/** W3C trace context from a request's `_meta` (2026-07-28 reserves these keys there). */
function traceOf(meta: Record<string, unknown>): TraceContext | undefined {
  const { traceparent, tracestate, baggage } = meta;
  if (typeof traceparent !== 'string') return undefined;
  return {
    traceparent,
    ...(typeof tracestate === 'string' ? { tracestate } : {}),
    ...(typeof baggage === 'string' ? { baggage } : {}),
  };
}
