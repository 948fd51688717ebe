/** The scopes the satellite checks (docs/backend-contract.md "Client token introspection"). */
export const MCP_SCOPES = { read: 'mcp:read', execute: 'mcp:tools:execute' } as const;

/** Who is calling, from the introspected token, a static token or a JWT; it rides with the request. */
export interface Principal {
  /** The token's `sub`. */
  readonly userId: string;
  /** The token's team (managed mode); in standalone mode the first of `teams`, or ''. */
  readonly teamId: string;
  /** Every team of the principal (standalone tokens and JWTs); absent: `[teamId]`. */
  readonly teams?: readonly string[];
  readonly teamName?: string;
  readonly teamRole?: string;
  readonly teamPermissions: readonly string[];
  readonly scopes: readonly string[];
  readonly clientId?: string;
  readonly username?: string;
  /** Token expiry (epoch ms) when the backend said. */
  readonly expiresAt?: number;
}
