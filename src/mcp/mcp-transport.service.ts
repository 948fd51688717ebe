import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventBusService } from '../events/event-bus.service.js';
import { ANONYMOUS_CALLER } from '../router/caller-context.js';
import { MetaToolServerFactory } from '../router/meta-tool-server.factory.js';
import { Clock } from './clock.js';
import { MalformedJsonBody } from './json-body.js';
import { OriginPolicyService } from './origin-policy.service.js';
import { SessionRegistryService } from './session-registry.service.js';

/** JSON-RPC error codes used at the HTTP edge (the SDK uses the same ones). */
const PARSE_ERROR = -32700;
const SERVER_ERROR = -32000;
const SESSION_NOT_FOUND = -32001;

/**
 * Streamable HTTP (MCP 2025-11-25) at `/mcp`: decides which session a request belongs to, and
 * answers what the SDK transport doesn't (unknown sessions, missing ids, Origin, caps, parse
 * errors) before anything is allocated. Everything else is the SDK transport's job.
 */
@Injectable()
export class McpTransportService {
  private readonly logger = new Logger(McpTransportService.name);
  private accepting = true;

  constructor(
    private readonly sessions: SessionRegistryService,
    private readonly servers: MetaToolServerFactory,
    private readonly origins: OriginPolicyService,
    private readonly clock: Clock,
    private readonly events: EventBusService,
  ) {}

  /** Stop creating sessions (graceful shutdown); existing ones keep working. */
  stopAccepting(): void {
    this.accepting = false;
  }

  async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const refused = this.origins.refuse(req.headers);
    if (refused) return rpcError(reply, 403, SERVER_ERROR, `Forbidden: ${refused}`);
    const unacceptable = checkMediaTypes(req);
    if (unacceptable) return rpcError(reply, unacceptable.status, SERVER_ERROR, unacceptable.message);
    const body: unknown = req.body;
    if (body instanceof MalformedJsonBody) return rpcError(reply, 400, PARSE_ERROR, `Parse error: ${body.message}`);

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string' && sessionId !== '') {
      const session = this.sessions.touch(sessionId);
      // An unknown id gets 404 and allocates nothing (the SDK only knows its own session).
      if (!session) return rpcError(reply, 404, SESSION_NOT_FOUND, 'Session not found');
      reply.hijack();
      await session.transport.handleRequest(req.raw, reply.raw, body);
      return;
    }
    if (req.method !== 'POST' || !containsInitialize(body)) {
      return rpcError(reply, 400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required');
    }
    if (!this.accepting) return rpcError(reply, 503, SERVER_ERROR, 'Service Unavailable: the satellite is shutting down');
    if (this.sessions.isFull()) {
      return rpcError(reply, 503, SERVER_ERROR, 'Service Unavailable: too many open sessions, try again later');
    }
    await this.initialize(req, reply, body);
  }

  private async initialize(req: FastifyRequest, reply: FastifyReply, body: unknown): Promise<void> {
    const caller = ANONYMOUS_CALLER;
    const server = this.servers.create(caller);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomBytes(32).toString('base64url'),
      // Runs before the initialize response is written, so the id is known when the client uses it.
      onsessioninitialized: (id) => {
        const now = this.clock.now();
        this.sessions.add({ id, transport, server, caller, owner: 'anonymous', createdAt: now, lastSeenAt: now });
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

/** The transport's media-type rules (406/415), checked before any session lookup, in the SDK's order. */
function checkMediaTypes(req: FastifyRequest): { status: number; message: string } | undefined {
  const accept = req.headers.accept ?? '';
  if (req.method === 'POST') {
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return { status: 406, message: 'Not Acceptable: Client must accept both application/json and text/event-stream' };
    }
    if (!(req.headers['content-type'] ?? '').includes('application/json')) {
      return { status: 415, message: 'Unsupported Media Type: Content-Type must be application/json' };
    }
  } else if (req.method === 'GET' && !accept.includes('text/event-stream')) {
    return { status: 406, message: 'Not Acceptable: Client must accept text/event-stream' };
  }
  return undefined;
}

function containsInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? (body as JSONRPCMessage[]) : [body];
  return messages.some((m) => isInitializeRequest(m));
}

function rpcError(reply: FastifyReply, status: number, code: number, message: string): void {
  void reply
    .code(status)
    .header('content-type', 'application/json')
    .send({ jsonrpc: '2.0', error: { code, message }, id: null });
}
