import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientAccessOf } from '../auth/client-auth.guard.js';
import {
  ClientQuotaService,
  isRefusal,
  QUOTA_EXCEEDED,
  type QuotaRefusal,
} from '../auth/client-quota.service.js';
import { HttpAnswerException } from '../auth/http-answer.js';
import { SessionRegistryService } from './session-registry.service.js';

/**
 * The per-principal quotas that are decided before a request reaches the transport, answered as
 * HTTP 429 with `Retry-After` and a JSON-RPC error body: a new session past the principal's cap,
 * tool calls past its budget per minute, a GET stream past the per-session cap. (Calls at once are
 * limited where they run, in the router: that refusal is a JSON-RPC error inside the stream.)
 * Runs after ClientAuthGuard.
 */
@Injectable()
export class McpQuotaGuard implements CanActivate {
  constructor(
    private readonly quotas: ClientQuotaService,
    private readonly sessions: SessionRegistryService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const principal = clientAccessOf(req).caller.userId;
    const sessionId = req.headers['mcp-session-id'];
    const hasSession = typeof sessionId === 'string' && sessionId !== '';
    const path = req.url.split('?')[0];
    const legacyOpen = req.method === 'GET' && path === '/sse';
    // A legacy client's initialize goes to /message of the session its GET /sse opened (and
    // counted): it carries no Mcp-Session-Id header, but opens nothing.
    const legacyMessage = path === '/message';

    if ((req.method === 'POST' && !hasSession && !legacyMessage && opens(req.body)) || legacyOpen) {
      const reserved = this.quotas.reserveSession(principal, this.sessions.openFor(principal));
      if (isRefusal(reserved)) throw tooMany(reserved);
      // An initialize POST registers its session before its response ends; /sse registers it at
      // once and keeps the response open as the session's stream.
      if (legacyOpen) reserved();
      else releaseWhenDone(reply, reserved);
    }
    if (req.method === 'POST') {
      const refusal = this.quotas.takeCalls(principal, toolCalls(req.body));
      if (refusal) throw tooMany(refusal);
    }
    if (req.method === 'GET' && hasSession) {
      const opened = this.quotas.openStream(sessionId);
      if (isRefusal(opened)) throw tooMany(opened);
      releaseWhenDone(reply, opened);
    }
    return true;
  }
}

function tooMany(refusal: QuotaRefusal): HttpAnswerException {
  return new HttpAnswerException({
    status: 429,
    headers: {
      'retry-after': String(refusal.retryAfterSeconds),
      'content-type': 'application/json',
    },
    body: {
      jsonrpc: '2.0',
      error: {
        code: QUOTA_EXCEEDED,
        message: refusal.message,
        data: { limit: refusal.limit, retry_after_seconds: refusal.retryAfterSeconds },
      },
      id: null,
    },
  });
}

/** Runs `release` when the response is written or the connection goes away. */
function releaseWhenDone(reply: FastifyReply, release: () => void): void {
  reply.raw.once('finish', release);
  reply.raw.once('close', release);
}

const messagesOf = (body: unknown): unknown[] => (Array.isArray(body) ? body : [body]);

function opens(body: unknown): boolean {
  return messagesOf(body).some((m) => isInitializeRequest(m));
}

function toolCalls(body: unknown): number {
  return messagesOf(body).filter(
    (m) =>
      typeof m === 'object' &&
      m !== null &&
      (m as { method?: unknown }).method === 'tools/call' &&
      'id' in m,
  ).length;
}
