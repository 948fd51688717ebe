import type { IncomingHttpHeaders } from 'node:http';

/** The `_meta` key whose presence claims the 2026-07-28 per-request envelope. */
const ENVELOPE_CLAIM = 'io.modelcontextprotocol/protocolVersion';
const FIRST_MODERN = '2026-07-28';

/**
 * Whether a parsed POST body may be a 2026-07-28 request: some message claims the envelope, or
 * the `MCP-Protocol-Version` header names a 2026 revision or later. When false the request is
 * old-era for sure (the SDK's `isLegacyRequest` says so for every claim-less POST without a
 * modern header), so the 2025-11-25 path pays no more than this look; when true, the SDK decides.
 */
export function mayBeModern(headers: IncomingHttpHeaders, body: unknown): boolean {
  const version = headers['mcp-protocol-version'];
  if (typeof version === 'string' && version >= FIRST_MODERN) return true;
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  for (const message of messages) {
    const params = (message as { params?: unknown } | null)?.params;
    const meta = (params as { _meta?: unknown } | null | undefined)?._meta;
    if (typeof meta === 'object' && meta !== null && ENVELOPE_CLAIM in meta) return true;
  }
  return false;
}
