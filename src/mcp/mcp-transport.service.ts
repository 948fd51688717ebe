import { Injectable, Logger } from '@nestjs/common';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  type InitializeRequest,
  isInitializeRequest,
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
} from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InFlightRequests } from '../events/in-flight-requests.js';
import { EventBusService } from '../events/event-bus.service.js';
import { DirectServerFactory } from '../router/direct-server.factory.js';
import { MetaToolServerFactory } from '../router/meta-tool-server.factory.js';
import { LegacyTasksBinder } from '../tasks/legacy-tasks.binder.js';
import type { ClientAccess } from '../auth/client-access.service.js';
import { clientAccessOf } from '../auth/client-auth.guard.js';
import { Clock } from '../events/clock.js';
import {
  checkMediaTypes,
  PARSE_ERROR,
  rpcError,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
  noSuchServer,
  serverUnreachable,
} from './http-replies.js';
import { MalformedJsonBody } from './json-body.js';
import { endpointKey, META_ENDPOINT, type McpEndpoint } from './mcp-endpoint.js';
import type { McpSession } from './mcp-session.js';
import { OriginPolicyService } from './origin-policy.service.js';
import { NodeStreamableTransport } from './node-streamable-transport.js';
import { type SessionClaims, SessionIdCodec } from './session-id.codec.js';
import { SessionRegistryService } from './session-registry.service.js';

/** The SSE `retry` a client is told to wait before reconnecting a dropped stream. */
const RECONNECT_AFTER_MS = 1000;

/**
 * Streamable HTTP (MCP 2025-11-25) at `/mcp` and `/i/{slug}/mcp`: decides which session a request
 * belongs to, and answers what the SDK transport doesn't (unknown sessions, missing ids, Origin,
 * caps, parse errors) before anything is allocated. Everything else is the session's transport's
 * job (`NodeStreamableTransport`).
 */
@Injectable()
export class McpTransportService {
  private readonly logger = new Logger(McpTransportService.name);
  private accepting = true;

  constructor(
    private readonly sessions: SessionRegistryService,
    private readonly metaServers: MetaToolServerFactory,
    private readonly directServers: DirectServerFactory,
    private readonly origins: OriginPolicyService,
    private readonly clock: Clock,
    private readonly events: EventBusService,
    private readonly ids: SessionIdCodec,
    private readonly inFlight: InFlightRequests,
    private readonly tasks: LegacyTasksBinder,
  ) {}

  /** Sessions being rebuilt from a signed id, so concurrent first requests share one rebuild. */
  private readonly adopting = new Map<string, Promise<McpSession | undefined>>();

  /** Stop creating sessions (graceful shutdown); existing ones keep working. */
  stopAccepting(): void {
    this.accepting = false;
  }

  isAccepting(): boolean {
    return this.accepting;
  }

  /**
   * Waits until no client message is being answered (bounded), so a rolling update loses no
   * in-flight call: MCP POSTs and REST calls alike. GET streams don't count: they carry no call of
   * their own.
   */
  drain(timeoutMs: number): Promise<{ drained: boolean; inFlight: number }> {
    return this.inFlight.drain(timeoutMs);
  }

  /** Counts a POST until its response has been written (or the client went away). */
  track(reply: FastifyReply): void {
    this.inFlight.track(reply.raw);
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
    // ClientAuthGuard authenticated the request before it got here.
    const access = clientAccessOf(req);

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string' && sessionId !== '') {
      // An unknown id gets 404 and allocates nothing (the SDK only knows its own session); so does
      // an id used on another endpoint than the one that issued it, or by another principal. A
      // signed id from another replica (shared DEPLOYSTACK_SESSION_SECRET) is rebuilt here.
      const session =
        this.sessions.touch(sessionId) ?? (await this.adopt(sessionId, endpoint, access, reply));
      if (reply.sent) return; // adopt() answered (503 while shutting down or full)
      if (
        !session ||
        session.endpoint !== endpointKey(endpoint) ||
        session.owner !== access.owner ||
        !session.handle
      ) {
        return rpcError(reply, 404, SESSION_NOT_FOUND, 'Session not found');
      }
      reply.hijack();
      if (!resumeSettled(req, reply, session)) await session.handle(req.raw, reply.raw, body);
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
    const made = await this.makeServer(endpoint, access, reply);
    if (!made) return;
    const init = initializeParams(body);
    const id = this.ids.mint(
      {
        endpoint: endpointKey(endpoint),
        ownerHash: SessionIdCodec.ownerHash(access.owner),
        protocolVersion: init.protocolVersion,
        capabilities: init.capabilities,
        clientInfo: init.clientInfo,
      },
      this.clock.now(),
    );
    const transport = this.open({ ...made, id, endpoint, access });
    await made.server.connect(transport);
    reply.hijack();
    await transport.handleRequest(req.raw, reply.raw, body);
    if (!transport.sessionId) {
      // The initialize request was refused by the SDK (bad version, bad headers): nothing to keep.
      await made.server.close().catch(() => undefined);
    }
  }

  private async makeServer(
    endpoint: McpEndpoint,
    access: ClientAccess,
    reply: FastifyReply,
  ): Promise<{ server: Server; bind?: (sessionId: string) => () => void } | undefined> {
    const { caller } = access;
    // Task-augmented calls of execute_mcp_tool belong to the session's owner (docs/tasks.md).
    if (endpoint.kind === 'meta')
      return { server: this.metaServers.create(caller, this.tasks.forOwner(access.owner)) };
    const def = this.directServers.resolve(endpoint.slug, caller);
    if (!def) {
      noSuchServer(reply, endpoint.slug);
      return undefined;
    }
    try {
      return await this.directServers.create(def, caller, access.owner);
    } catch (err) {
      serverUnreachable(reply, endpoint.slug, err);
      return undefined;
    }
  }

  /** A Streamable HTTP transport whose session, once initialized, is registered under `id`. */
  private open(made: {
    server: Server;
    bind?: (sessionId: string) => () => void;
    id: string;
    endpoint: McpEndpoint;
    access: ClientAccess;
  }): NodeStreamableTransport {
    const { server, bind, id, endpoint, access } = made;
    const transport = new NodeStreamableTransport({
      sessionId: id,
      clock: this.clock,
      // Resumable streams: a client reconnecting with Last-Event-ID gets what it missed.
      retryInterval: RECONNECT_AFTER_MS,
      onsessioninitialized: (sid) => {
        const now = this.clock.now();
        this.sessions.add({
          id: sid,
          endpoint: endpointKey(endpoint),
          transport,
          server,
          caller: access.caller,
          owner: access.owner,
          createdAt: now,
          lastSeenAt: now,
          // Allocated with the session's first SSE stream.
          get events() {
            return transport.events;
          },
          handle: (req, res, body) => transport.handleRequest(req, res, body),
          ...(bind ? { onClose: bind(sid) } : {}),
        });
        const info = server.getClientVersion();
        this.events.emit('mcp.client.connected', {
          session_id: sid,
          ...(info?.name ? { client_name: info.name } : {}),
          ...(info?.version ? { client_version: info.version } : {}),
        });
      },
      onsessionclosed: (sid) => void this.sessions.close(sid, 'deleted'),
    });
    transport.onclose = () => void this.sessions.close(id, 'transport_closed');
    return transport;
  }

  /**
   * Rebuilds a session another replica created (or this one closed for idleness), from a signed
   * id: same endpoint, same owner, and an SDK server initialized with the client's original
   * capabilities, by replaying its initialize handshake inside the process.
   */
  private adopt(
    id: string,
    endpoint: McpEndpoint,
    access: ClientAccess,
    reply: FastifyReply,
  ): Promise<McpSession | undefined> {
    if (!this.ids.shared || this.sessions.wasDeleted(id)) return Promise.resolve(undefined);
    const claims = this.ids.verify(id, this.clock.now());
    if (
      !claims ||
      claims.endpoint !== endpointKey(endpoint) ||
      claims.ownerHash !== SessionIdCodec.ownerHash(access.owner)
    ) {
      return Promise.resolve(undefined);
    }
    let pending = this.adopting.get(id);
    if (!pending) {
      pending = this.rebuild(id, claims, endpoint, access, reply).finally(() =>
        this.adopting.delete(id),
      );
      this.adopting.set(id, pending);
    }
    return pending;
  }

  private async rebuild(
    id: string,
    claims: SessionClaims,
    endpoint: McpEndpoint,
    access: ClientAccess,
    reply: FastifyReply,
  ): Promise<McpSession | undefined> {
    if (!this.accepting || this.sessions.isFull()) {
      rpcError(reply, 503, SERVER_ERROR, 'Service Unavailable: no new sessions accepted right now');
      return undefined;
    }
    const made = await this.makeServer(endpoint, access, reply);
    if (!made) return undefined;
    const transport = this.open({ ...made, id, endpoint, access });
    await made.server.connect(transport);
    await transport.dispatchLocal({
      jsonrpc: '2.0',
      id: 'satellite-session-rebuild',
      method: 'initialize',
      params: {
        protocolVersion: claims.protocolVersion,
        capabilities: claims.capabilities,
        clientInfo: claims.clientInfo,
      },
    });
    await transport.dispatchLocal({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const session = this.sessions.touch(id);
    if (session) this.logger.debug(`session ${id.slice(0, 12)}… rebuilt from its signed id`);
    return session;
  }
}

/**
 * A GET resuming a stream that already carried its response: the events it missed on it, then
 * the end (204 when there are none), instead of a stream the transport would hold open though
 * nothing more can come. Answers whether it replied.
 */
function resumeSettled(req: FastifyRequest, reply: FastifyReply, session: McpSession): boolean {
  const lastEventId = req.headers['last-event-id'];
  if (req.method !== 'GET' || typeof lastEventId !== 'string' || !session.events) return false;
  const missed = session.events.settledAfter(lastEventId);
  if (!missed) return false;
  const res = reply.raw;
  if (missed.length === 0) {
    res.writeHead(204, { 'mcp-session-id': session.id }).end();
    return true;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    'mcp-session-id': session.id,
  });
  for (const { id, message } of missed)
    res.write(`event: message\nid: ${id}\ndata: ${JSON.stringify(message)}\n\n`);
  res.end();
  return true;
}

/** The client's initialize parameters (what a signed id carries for a rebuild). */
function initializeParams(body: unknown): InitializeRequest['params'] {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const init = messages.find((m): m is InitializeRequest => isInitializeRequest(m));
  return (
    init?.params ?? {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'unknown', version: '0' },
    }
  );
}

function containsInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? (body as JSONRPCMessage[]) : [body];
  return messages.some((m) => isInitializeRequest(m));
}
