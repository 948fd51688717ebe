import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyRequest } from 'fastify';
import { clientAccessOf } from '../auth/client-auth.guard.js';
import { ClientQuotaService, QUOTA_EXCEEDED } from '../auth/client-quota.service.js';

/**
 * A REST call takes one call from the principal's budget per minute, as a `tools/call` on `/mcp`
 * does (docs/security.md "Quotas"); calls at once are limited in the router. A refusal is the
 * same error the router throws past the concurrency limit, answered as 429 with `Retry-After`.
 * Runs after ClientAuthGuard.
 */
@Injectable()
export class RestQuotaGuard implements CanActivate {
  constructor(private readonly quotas: ClientQuotaService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const refusal = this.quotas.takeCalls(clientAccessOf(req).caller.userId, 1);
    if (refusal) {
      throw new McpError(QUOTA_EXCEEDED, refusal.message, {
        limit: refusal.limit,
        retry_after_seconds: refusal.retryAfterSeconds,
      });
    }
    return true;
  }
}
