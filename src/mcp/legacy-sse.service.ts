import { Injectable } from '@nestjs/common';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetaToolServerFactory } from '../router/meta-tool-server.factory.js';
import { clientAccessOf } from '../auth/client-auth.guard.js';
import { Clock } from '../events/clock.js';
import { PARSE_ERROR, rpcError, SERVER_ERROR, SESSION_NOT_FOUND } from './http-replies.js';
import { MalformedJsonBody } from './json-body.js';
import { McpTransportService } from './mcp-transport.service.js';
import { OriginPolicyService } from './origin-policy.service.js';
import { SessionRegistryService } from './session-registry.service.js';

/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) for old clients: `GET /sse` opens the stream
 * (first event `endpoint`), `POST /message?sessionId=…` carries client messages. It fronts the
 * same meta-tool router as `/mcp`, with the same Origin rules, cap and idle expiry.
 */
@Injectable()
export class LegacySseService {
  constructor(
    private readonly sessions: SessionRegistryService,
    private readonly servers: MetaToolServerFactory,
    private readonly origins: OriginPolicyService,
    private readonly streamable: McpTransportService,
    private readonly clock: Clock,
  ) {}

  async open(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    // Fastify answers HEAD with the GET handler, but Node sends a HEAD response's headers only at
    // its end, which a stream never reaches: the client would wait forever on a session it cannot
    // use, one the per-principal cap (counted on GET) did not see.
    if (req.method !== 'GET') {
      void reply.header('allow', 'GET');
      return rpcError(reply, 405, SERVER_ERROR, 'Method Not Allowed: open the stream with GET');
    }
    const refused = this.origins.refuse(req.headers);
    if (refused) return rpcError(reply, 403, SERVER_ERROR, `Forbidden: ${refused}`);
    if (!this.streamable.isAccepting() || this.sessions.isFull()) {
      return rpcError(
        reply,
        503,
        SERVER_ERROR,
        'Service Unavailable: no new sessions accepted right now',
      );
    }
    const access = clientAccessOf(req); // ClientAuthGuard authenticated the request
    reply.hijack();
    const transport = new SSEServerTransport('/message', reply.raw);
    const server = this.servers.create(access.caller);
    const now = this.clock.now();
    this.sessions.add({
      id: transport.sessionId,
      endpoint: 'meta',
      transport,
      server,
      caller: access.caller,
      owner: access.owner,
      createdAt: now,
      lastSeenAt: now,
    });
    transport.onclose = () => void this.sessions.close(transport.sessionId, 'transport_closed');
    await server.connect(transport);
  }

  async message(
    req: FastifyRequest,
    reply: FastifyReply,
    sessionId: string | undefined,
  ): Promise<void> {
    const refused = this.origins.refuse(req.headers);
    if (refused) return rpcError(reply, 403, SERVER_ERROR, `Forbidden: ${refused}`);
    if (req.body instanceof MalformedJsonBody)
      return rpcError(reply, 400, PARSE_ERROR, `Parse error: ${req.body.message}`);
    const access = clientAccessOf(req);
    const session = sessionId ? this.sessions.touch(sessionId) : undefined;
    if (
      !session ||
      session.owner !== access.owner ||
      !(session.transport instanceof SSEServerTransport)
    ) {
      return rpcError(reply, 404, SESSION_NOT_FOUND, 'Session not found');
    }
    this.streamable.track(reply);
    reply.hijack();
    await session.transport.handlePostMessage(req.raw, reply.raw, req.body);
  }
}
