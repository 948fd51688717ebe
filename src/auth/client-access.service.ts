import { Injectable, Logger, Optional } from '@nestjs/common';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyRequest } from 'fastify';
import { SatelliteConfig } from '../config/satellite-config.js';
import { DEFAULT_TEAM } from '../config/server-definition.js';
import { ANONYMOUS_CALLER, type CallerContext } from '../router/caller-context.js';
import { EXECUTE_TOOL } from '../router/meta-tools.js';
import { AuthError, AuthUnavailableError, InsufficientScopeError } from './auth.errors.js';
import type { AuthErrorResponse } from './auth-error.response.js';
import { authErrorResponse } from './auth-error.response.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { MCP_SCOPES, type Principal } from './principal.js';
import { ProtectedResourceMetadataService } from './protected-resource-metadata.service.js';

/** Who a request comes from, as the session layer needs it. */
export interface ClientAccess {
  /** What the router filters and checks by (teams, user, scopes). */
  readonly caller: CallerContext;
  /** The identity a session is bound to: another identity using the session id gets 404. */
  readonly owner: string;
}

export const ANONYMOUS_ACCESS: ClientAccess = { caller: ANONYMOUS_CALLER, owner: 'anonymous' };

/**
 * `mcp`: the MCP transports; `rest`: the status routes (authenticated in standalone mode only);
 * `tools` and `tools:call`: the REST tool routes (`/api/tools`, docs/rest.md), authenticated as
 * `/mcp` is in every mode, `tools:call` needing the execute scope as a `tools/call` does.
 */
export type ClientAuthRoute = 'mcp' | 'rest' | 'tools' | 'tools:call';

/**
 * Who may do what. Without an authenticator (standalone `DEPLOYSTACK_AUTH=none`) everyone is the
 * anonymous caller and sees every server. Otherwise every request needs a bearer token the
 * authenticator accepts (the backend's introspection in managed mode, static tokens or JWTs in
 * standalone mode), and calling a tool needs `mcp:tools:execute`. ClientAuthGuard runs this in
 * front of every route and answers refusals the OAuth way (401/403 with `WWW-Authenticate`, 503
 * with `Retry-After` when the token cannot be checked right now).
 */
@Injectable()
export class ClientAccessService {
  private readonly logger = new Logger(ClientAccessService.name);
  private readonly managed: boolean;

  constructor(
    config: SatelliteConfig,
    @Optional() private readonly authenticator?: ClientAuthenticator,
    @Optional() private readonly metadata?: ProtectedResourceMetadataService,
  ) {
    this.managed = config.backend !== undefined;
  }

  get enforced(): boolean {
    return this.authenticator !== undefined;
  }

  /** The caller of a request, or an AuthError. */
  async resolve(req: FastifyRequest, route: ClientAuthRoute): Promise<ClientAccess> {
    // Managed mode keeps its status routes as they were: the backend's tokens are for /mcp.
    if (!this.authenticator || (route === 'rest' && this.managed)) return ANONYMOUS_ACCESS;
    const principal = await this.authenticator.authenticate(req.headers.authorization);
    const direct = typeof (req.params as { slug?: unknown } | undefined)?.slug === 'string';
    const calling = route === 'tools:call' || (route === 'mcp' && callsTool(req.body, direct));
    if (calling && !principal.scopes.includes(MCP_SCOPES.execute))
      throw new InsufficientScopeError(MCP_SCOPES.execute);
    return this.managed ? managedAccess(principal) : standaloneAccess(principal);
  }

  /** The HTTP answer to a refusal (anything not an AuthError counts as "cannot check now"). */
  challengeFor(err: unknown): AuthErrorResponse {
    const authError =
      err instanceof AuthError ? err : new AuthUnavailableError((err as Error).message);
    if (authError instanceof AuthUnavailableError)
      this.logger.warn(`client token not checked: ${authError.message}`);
    return this.metadata
      ? this.metadata.challengeFor(authError)
      : authErrorResponse(authError, '/.well-known/oauth-protected-resource/mcp');
  }
}

function managedAccess(principal: Principal): ClientAccess {
  return {
    caller: {
      userId: principal.userId,
      teams: [principal.teamId],
      scopes: principal.scopes,
      ...(principal.clientId ? { clientId: principal.clientId } : {}),
    },
    // The team is part of the identity: a session opened for one team is not another team's.
    owner: `${principal.userId}@${principal.teamId}`,
  };
}

/**
 * Standalone principals see their teams' servers and those of the default team (servers without
 * `team`, visible to everyone). Their teams are part of the session owner: a session opened before
 * the principal's teams changed is not used with the new ones.
 */
function standaloneAccess(principal: Principal): ClientAccess {
  const teams = [...new Set(principal.teams ?? [principal.teamId])].filter(Boolean).sort();
  return {
    caller: {
      userId: principal.userId,
      teams: [...new Set([...teams, DEFAULT_TEAM])],
      scopes: principal.scopes,
      ...(principal.clientId ? { clientId: principal.clientId } : {}),
    },
    owner: `${principal.userId}@${teams.join(',')}`,
  };
}

/** True when the body runs a tool: `execute_mcp_tool` on /mcp, any `tools/call` on /i/{slug}/mcp. */
function callsTool(body: unknown, direct: boolean): boolean {
  const messages = (Array.isArray(body) ? body : [body]) as (JSONRPCMessage | undefined)[];
  return messages.some((m) => {
    if (!m || typeof m !== 'object' || !('method' in m) || m.method !== 'tools/call') return false;
    if (direct) return true;
    const params = (m as { params?: { name?: unknown } }).params;
    return params?.name === EXECUTE_TOOL;
  });
}
