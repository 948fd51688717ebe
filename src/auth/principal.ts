/** The scopes the satellite checks (backend-contract.md "Client token introspection"). */
export const MCP_SCOPES = { read: 'mcp:read', execute: 'mcp:tools:execute' } as const;

/** Who is calling /mcp, from the introspected token; it rides with the request. */
export interface Principal {
  /** The token's `sub`. */
  readonly userId: string;
  readonly teamId: string;
  readonly teamName?: string;
  readonly teamRole?: string;
  readonly teamPermissions: readonly string[];
  readonly scopes: readonly string[];
  readonly clientId?: string;
  readonly username?: string;
  /** Token expiry (epoch ms) when the backend said. */
  readonly expiresAt?: number;
}
