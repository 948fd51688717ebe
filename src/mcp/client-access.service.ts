import { Injectable, Logger, Optional } from '@nestjs/common';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, AuthUnavailableError } from '../auth/auth.errors.js';
import { BearerAuthService } from '../auth/bearer-auth.service.js';
import { MCP_SCOPES, type Principal } from '../auth/principal.js';
import { ProtectedResourceMetadataService } from '../auth/protected-resource-metadata.service.js';
import { ANONYMOUS_CALLER, type CallerContext } from '../router/caller-context.js';
import { EXECUTE_TOOL } from '../router/meta-tools.js';
import type { McpEndpoint } from './mcp-endpoint.js';

/** Who a request comes from, as the session layer needs it. */
export interface ClientAccess {
  /** What the router filters and checks by (teams, user, scopes). */
  readonly caller: CallerContext;
  /** The identity a session is bound to: another identity using the session id gets 404. */
  readonly owner: string;
}

export const ANONYMOUS_ACCESS: ClientAccess = { caller: ANONYMOUS_CALLER, owner: 'anonymous' };

/**
 * The gate in front of every MCP request. Standalone mode has no authentication (everyone is the
 * anonymous caller and sees every server). In managed mode (the auth module is imported) every
 * request needs a bearer token the backend vouches for; calling a tool needs
 * `mcp:tools:execute`. Refusals are written here, the OAuth way (401/403 with
 * `WWW-Authenticate`, 503 with `Retry-After` when the backend cannot be asked).
 */
@Injectable()
export class ClientAccessService {
  private readonly logger = new Logger(ClientAccessService.name);

  constructor(
    @Optional() private readonly bearer?: BearerAuthService,
    @Optional() private readonly metadata?: ProtectedResourceMetadataService,
  ) {}

  get enforced(): boolean {
    return this.bearer !== undefined;
  }

  /**
   * Resolves the caller of a request, or answers the refusal and returns undefined.
   * `body` is the parsed JSON-RPC body of a POST (undefined for GET/DELETE).
   */
  async admit(
    req: FastifyRequest,
    reply: FastifyReply,
    endpoint: McpEndpoint,
    body?: unknown,
  ): Promise<ClientAccess | undefined> {
    if (!this.bearer || !this.metadata) return ANONYMOUS_ACCESS;
    try {
      const principal = await this.bearer.authenticate(req.headers.authorization);
      if (callsTool(body, endpoint)) this.bearer.authorize(principal, MCP_SCOPES.execute);
      return accessOf(principal);
    } catch (err) {
      const authError =
        err instanceof AuthError ? err : new AuthUnavailableError((err as Error).message);
      if (authError instanceof AuthUnavailableError) {
        this.logger.warn(`client token not checked: ${authError.message}`);
      }
      const answer = this.metadata.challengeFor(authError);
      void reply.code(answer.status).headers(answer.headers).send(answer.body);
      return undefined;
    }
  }
}

function accessOf(principal: Principal): ClientAccess {
  return {
    caller: {
      userId: principal.userId,
      teams: [principal.teamId],
      scopes: principal.scopes,
    },
    // The team is part of the identity: a session opened for one team is not another team's.
    owner: `${principal.userId}@${principal.teamId}`,
  };
}

/** True when the body runs a tool: `execute_mcp_tool` on /mcp, any `tools/call` on /i/{slug}/mcp. */
function callsTool(body: unknown, endpoint: McpEndpoint): boolean {
  const messages = (Array.isArray(body) ? body : [body]) as (JSONRPCMessage | undefined)[];
  return messages.some((m) => {
    if (!m || typeof m !== 'object' || !('method' in m) || m.method !== 'tools/call') return false;
    if (endpoint.kind === 'direct') return true;
    const params = (m as { params?: { name?: unknown } }).params;
    return params?.name === EXECUTE_TOOL;
  });
}
