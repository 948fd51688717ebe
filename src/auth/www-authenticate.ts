export interface BearerChallenge {
  /** The RFC 9728 metadata URL (MCP authorization spec: clients discover the auth server here). */
  readonly resourceMetadataUrl: string;
  readonly error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  readonly description?: string;
  /** For insufficient_scope: the scope(s) needed, space-separated. */
  readonly scope?: string;
}

/** RFC 7230 quoted-string: backslash-escape `"` and `\`; drop control characters. */
function quoted(value: string): string {
  const printable = [...value]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? ' ' : c))
    .join('');
  const safe = printable.replace(/["\\]/g, (c) => `\\${c}`);
  return `"${safe}"`;
}

/** The `WWW-Authenticate` value of a 401/403 (RFC 6750 §3, RFC 9728 §5.1). */
export function bearerChallenge(challenge: BearerChallenge): string {
  const params: string[] = [`resource_metadata=${quoted(challenge.resourceMetadataUrl)}`];
  if (challenge.error) params.push(`error=${quoted(challenge.error)}`);
  if (challenge.description) params.push(`error_description=${quoted(challenge.description)}`);
  if (challenge.scope) params.push(`scope=${quoted(challenge.scope)}`);
  return `Bearer ${params.join(', ')}`;
}
