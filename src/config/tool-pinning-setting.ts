/**
 * The server file's pinning fields, kept apart from the rest of the parser (one spread in
 * mcp-server-file.ts): `"toolPinning": "warn" | "hold"` and `"approvedToolsHash": "<sha256 hex>"`
 * (docs/configuration.md "Tool catalog").
 */
export function parseToolPinning(
  raw: Record<string, unknown>,
  at: string,
  problems: string[],
): { toolPinning?: 'warn' | 'hold'; approvedToolsHash?: string } {
  const { toolPinning, approvedToolsHash } = raw;
  if (toolPinning !== undefined && toolPinning !== 'warn' && toolPinning !== 'hold')
    problems.push(`${at}.toolPinning must be "warn" or "hold"`);
  if (
    approvedToolsHash !== undefined &&
    (typeof approvedToolsHash !== 'string' || !/^[0-9a-f]{64}$/.test(approvedToolsHash))
  )
    problems.push(`${at}.approvedToolsHash must be a tool-set hash (64 lowercase hex digits)`);
  return {
    ...(toolPinning === 'warn' || toolPinning === 'hold' ? { toolPinning } : {}),
    ...(typeof approvedToolsHash === 'string' && /^[0-9a-f]{64}$/.test(approvedToolsHash)
      ? { approvedToolsHash }
      : {}),
  };
}
