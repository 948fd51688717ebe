import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { TransportKind } from '../config/server-definition.js';

/** One tool of one upstream server, addressed by its path `{server_slug}-{tool_name}`. */
export interface CatalogEntry {
  readonly path: string;
  readonly serverId: string;
  readonly serverSlug: string;
  readonly serverDescription?: string;
  readonly team: string;
  readonly userId?: string;
  readonly transport: TransportKind;
  readonly tool: Tool;
  /** Tokens of the tool definition as the upstream listed it (JSON, o200k_base; token-counter.ts). */
  readonly tokenCount: number;
}

export type CatalogListener = (
  serverId: string,
  entries: readonly CatalogEntry[] | undefined,
) => void;
