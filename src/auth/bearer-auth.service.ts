import { Injectable } from '@nestjs/common';
import { InsufficientScopeError, InvalidTokenError, MissingTokenError } from './auth.errors.js';
import type { Principal } from './principal.js';
import { TokenIntrospectionService } from './token-introspection.service.js';

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750 §2.1).
 * Any non-space token is accepted: the backend, not a charset, decides what is valid.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * OAuth 2.1 resource-server check for /mcp in managed mode. `authenticate` resolves the caller
 * or throws a typed AuthError; the lead's /mcp edge maps it with authErrorResponse().
 */
@Injectable()
export class BearerAuthService {
  constructor(private readonly introspection: TokenIntrospectionService) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    // Another scheme, or none, is "no credentials" (RFC 6750 §3.1: no error code).
    if (!token) throw new MissingTokenError();
    const verdict = await this.introspection.verify(token);
    if (!verdict.active) throw new InvalidTokenError(verdict.reason);
    return verdict.principal;
  }

  /** Throws InsufficientScopeError (403) when the principal lacks `scope`. */
  authorize(principal: Principal, scope: string): void {
    if (!principal.scopes.includes(scope)) throw new InsufficientScopeError(scope);
  }
}
