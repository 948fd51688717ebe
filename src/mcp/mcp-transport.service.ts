import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventBusService } from '../events/event-bus.service.js';
import type { CallerContext } from '../router/caller-context.js';
import { DirectServerFactory } from '../router/direct-server.factory.js';
import { MetaToolServerFactory } from '../router/meta-tool-server.factory.js';
import { type ClientAccess, ClientAccessService } from './client-access.service.js';
import { Clock } from './clock.js';
import {
  checkMediaTypes,
  PARSE_ERROR,
  rpcError,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
} from './http-replies.js';
import { MalformedJsonBody } from './json-body.js';
import { endpointKey, META_ENDPOINT, type McpEndpoint } from './mcp-endpoint.js';
import { OriginPolicyService } from './origin-policy.service.js';
import { SessionRegistryService } from './session-registry.service.js';

/**
 * Streamable HTTP (MCP 2025-11-25) at `/mcp` and `/i/{slug}/mcp`: decides which session a request
 * belongs to, and answers what the SDK transport doesn't (unknown sessions, missing ids, Origin,
 * caps, parse errors) before anything is allocated. Everything else is the SDK transport's job.
 */
@Injectable()
export class McpTransportService {
  private readonly logger = new Logger(McpTransportService.name);
  private accepting = true;
  private inFlight = 0;
  private idle?: () => void;

  constructor(
    private readonly sessions: SessionRegistryService,
    private readonly metaServers: MetaToolServerFactory,
    private readonly directServers: DirectServerFactory,
    private readonly origins: OriginPolicyService,
    private readonly clock: Clock,
    private readonly events: EventBusService,
    private readonly access: ClientAccessService,
  ) {}

  /** Stop creating sessions (graceful shutdown); existing ones keep working. */
  stopAccepting(): void {
    this.accepting = false;
  }

  isAccepting(): boolean {
    return this.accepting;
  }

  /**
   * Waits until no client message is being answered (bounded), so a rolling update loses no
   * in-flight call. GET streams don't count: they carry no call of their own.
   */
  async drain(timeoutMs: number): Promise<{ drained: boolean; inFlight: number }> {
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return { drained: this.inFlight === 0, inFlight: this.inFlight };
  }

  /** Counts a POST until its response has been written (or the client went away). */
  track(reply: FastifyReply): void {
    this.inFlight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    };
    reply.raw.once('finish', finish);
    reply.raw.once('close', finish);
  }

  async handle(
    req: FastifyRequest,
    reply: FastifyReply,
    endpoint: McpEndpoint = META_ENDPOINT,
  ): Promise<void> {
    const refused = this.origins.refuse(req.headers);
    if (refused) return rpcError(reply, 403, SERVER_ERROR, `Forbidden: ${refused}`);
    const unacceptable = checkMediaTypes(req);
    if (unacceptable)
      return rpcError(reply, unacceptable.status, SERVER_ERROR, unacceptable.message);
    const body: unknown = req.body;
    if (body instanceof MalformedJsonBody)
      return rpcError(reply, 400, PARSE_ERROR, `Parse error: ${body.message}`);
    if (req.method === 'POST') this.track(reply);
    const access = await this.access.admit(req, reply, endpoint, body);
    if (!access) return;

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string' && sessionId !== '') {
      const session = this.sessions.touch(sessionId);
      // An unknown id gets 404 and allocates nothing (the SDK only knows its own session); so does
      // an id used on another endpoint than the one that issued it, or by another principal.
      if (
        !session ||
        session.endpoint !== endpointKey(endpoint) ||
        session.owner !== access.owner ||
        !(session.transport instanceof StreamableHTTPServerTransport)
      ) {
        return rpcError(reply, 404, SESSION_NOT_FOUND, 'Session not found');
      }
      reply.hijack();
      await session.transport.handleRequest(req.raw, reply.raw, body);
      return;
    }
    if (req.method !== 'POST' || !containsInitialize(body)) {
      return rpcError(reply, 400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required');
    }
    if (!this.accepting)
      return rpcError(
        reply,
        503,
        SERVER_ERROR,
        'Service Unavailable: the satellite is shutting down',
      );
    if (this.sessions.isFull()) {
      return rpcError(
        reply,
        503,
        SERVER_ERROR,
        'Service Unavailable: too many open sessions, try again later',
      );
    }
    const made = await this.makeServer(endpoint, access.caller, reply);
    if (made) await this.initialize(req, reply, body, { ...made, endpoint, access });
  }

  private async makeServer(
    endpoint: McpEndpoint,
    caller: CallerContext,
    reply: FastifyReply,
  ): Promise<{ server: Server; bind?: (sessionId: string) => () => void } | undefined> {
    if (endpoint.kind === 'meta') return { server: this.metaServers.create(caller) };
    const def = this.directServers.resolve(endpoint.slug, caller);
    if (!def) {
      rpcError(
        reply,
        404,
        SERVER_ERROR,
        `Not Found: no MCP server "${endpoint.slug}" is available to you`,
      );
      return undefined;
    }
    try {
      return await this.directServers.create(def);
    } catch (err) {
      rpcError(
        reply,
        503,
        SERVER_ERROR,
        `Service Unavailable: server "${endpoint.slug}" cannot be reached: ${(err as Error).message}`,
      );
      return undefined;
    }
  }

  private async initialize(
    req: FastifyRequest,
    reply: FastifyReply,
    body: unknown,
    made: {
      server: Server;
      bind?: (sessionId: string) => () => void;
      endpoint: McpEndpoint;
      access: ClientAccess;
    },
  ): Promise<void> {
    const { server, bind, endpoint, access } = made;
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomBytes(32).toString('base64url'),
      // Runs before the initialize response is written, so the id is known when the client uses it.
      onsessioninitialized: (id) => {
        const now = this.clock.now();
        this.sessions.add({
          id,
          endpoint: endpointKey(endpoint),
          transport,
          server,
          caller: access.caller,
          owner: access.owner,
          createdAt: now,
          lastSeenAt: now,
          ...(bind ? { onClose: bind(id) } : {}),
        });
        const info = server.getClientVersion();
        this.events.emit('mcp.client.connected', {
          session_id: id,
          ...(info?.name ? { client_name: info.name } : {}),
          ...(info?.version ? { client_version: info.version } : {}),
        });
      },
      onsessionclosed: (id) => this.sessions.close(id, 'deleted'),
    });
    transport.onclose = () => {
      if (transport.sessionId) void this.sessions.close(transport.sessionId, 'transport_closed');
    };
    await server.connect(transport);
    reply.hijack();
    await transport.handleRequest(req.raw, reply.raw, body);
    if (!transport.sessionId) {
      // The initialize request was refused by the SDK (bad version, bad headers): nothing to keep.
      await server.close().catch(() => undefined);
    }
  }
}

function containsInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? (body as JSONRPCMessage[]) : [body];
  return messages.some((m) => isInitializeRequest(m));
}
