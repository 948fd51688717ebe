import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectClient } from '../support/satellite.js';

export const EXECUTE = 'mcp:tools:execute';

export interface TokenGrant {
  readonly token: string;
  readonly principal: string;
  readonly teams?: readonly string[];
  readonly scopes?: readonly string[];
}

export const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** Writes a `DEPLOYSTACK_AUTH_TOKENS_FILE`: only the hashes of the tokens. */
export function writeTokensFile(path: string, grants: readonly TokenGrant[]): void {
  writeFileSync(
    path,
    JSON.stringify({
      tokens: grants.map((g) => ({
        sha256: sha256(g.token),
        principal: g.principal,
        teams: g.teams ?? [],
        scopes: g.scopes ?? [],
      })),
    }),
  );
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** A real SDK client over Streamable HTTP, sending the token with every request. */
export function connectWithToken(url: string, token: string, name = 'sec-e2e'): Promise<Client> {
  return connectClient(url, name, bearer(token));
}

/** A real SDK client over the legacy HTTP+SSE transport (`/sse` + `/message`). */
export async function connectSseWithToken(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'sec-e2e-sse', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(url), { requestInit: bearer(token) }));
  return client;
}

export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** The servers whose tools `discover_mcp_tools` shows the client. */
export async function visibleServers(client: Client): Promise<string[]> {
  const result = await call(client, 'discover_mcp_tools', { query: '*', limit: 50 });
  const found = result.structuredContent as { tools: { server: string }[] };
  return [...new Set(found.tools.map((t) => t.server))].sort();
}

export const textOf = (r: CallToolResult) =>
  r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
