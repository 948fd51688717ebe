/**
 * Who is calling, as far as the router cares. Without authentication (standalone
 * `DEPLOYSTACK_AUTH=none`) the caller sees every server (`teams` undefined); otherwise the auth
 * layer fills it from the token (src/auth/client-access.service.ts).
 */
export interface CallerContext {
  readonly userId?: string;
  /** Teams whose servers the caller may use; undefined = all. */
  readonly teams?: readonly string[];
  readonly scopes?: readonly string[];
  /** The OAuth client the token was issued to, when the token says (audit records). */
  readonly clientId?: string;
}

export const ANONYMOUS_CALLER: CallerContext = {};

export function canUse(caller: CallerContext, server: { team: string; userId?: string }): boolean {
  if (caller.teams && !caller.teams.includes(server.team)) return false;
  // A per-user instance belongs to its user only.
  if (server.userId && caller.teams && server.userId !== caller.userId) return false;
  return true;
}
