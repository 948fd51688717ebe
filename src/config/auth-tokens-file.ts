import { readFile } from 'node:fs/promises';
import { SLUG_PATTERN } from './mcp-server-file.js';

/**
 * One static bearer token of `DEPLOYSTACK_AUTH=tokens` (docs/security.md). Only the SHA-256 of the
 * token is stored; the token itself never is.
 */
export interface StaticToken {
  /** Lower-case hex SHA-256 of the token. */
  readonly sha256: string;
  /** Who the token stands for (sessions, quotas and audit records are keyed by it). */
  readonly principal: string;
  readonly teams: readonly string[];
  readonly scopes: readonly string[];
}

/** A tokens file that cannot be used; `problems` names every problem found. */
export class TokensFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid tokens file ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'TokensFileError';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;
/** Principal names: printable, no spaces or control characters, at most 256 characters. */
const PRINCIPAL = /^[\x21-\x7e]{1,256}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/; // RFC 6749 §3.3 scope-token

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(
  value: unknown,
  where: string,
  pattern: RegExp,
  problems: string[],
): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && pattern.test(v))) {
    problems.push(`${where} must be an array of strings matching ${pattern.source}`);
    return undefined;
  }
  return [...new Set(value as string[])];
}

/**
 * Parses `{"tokens": [{"sha256", "principal", "teams", "scopes"}]}`. Every problem is reported,
 * never a token (there is none in the file) and never a hash (it identifies a token).
 */
export function parseTokensFile(text: string, source: string): StaticToken[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TokensFileError(source, [`not valid JSON: ${(err as Error).message}`]);
  }
  if (!isObject(doc) || !Array.isArray(doc.tokens))
    throw new TokensFileError(source, ['the top level must be {"tokens": [...]}']);
  const problems: string[] = [];
  const tokens: StaticToken[] = [];
  const seen = new Set<string>();
  doc.tokens.forEach((raw: unknown, i) => {
    const at = `tokens[${i}]`;
    if (!isObject(raw)) {
      problems.push(`${at} must be an object`);
      return;
    }
    const before = problems.length;
    for (const key of Object.keys(raw))
      if (!['sha256', 'principal', 'teams', 'scopes', 'comment'].includes(key))
        problems.push(
          key === 'token'
            ? `${at}.token: store only the SHA-256 of a token ("sha256"), never the token`
            : `${at}.${key} is not a known field (sha256, principal, teams, scopes, comment)`,
        );
    const { sha256, principal } = raw;
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
      problems.push(`${at}.sha256 must be 64 hex digits (the SHA-256 of the token)`);
    else if (seen.has(sha256.toLowerCase())) problems.push(`${at}.sha256 appears twice`);
    if (typeof principal !== 'string' || !PRINCIPAL.test(principal))
      problems.push(`${at}.principal must be 1-256 printable characters without spaces`);
    const teams = stringList(raw.teams, `${at}.teams`, SLUG_PATTERN, problems);
    const scopes = stringList(raw.scopes, `${at}.scopes`, SCOPE, problems);
    if (problems.length > before || !teams || !scopes) return;
    const hash = (sha256 as string).toLowerCase();
    seen.add(hash);
    tokens.push({ sha256: hash, principal: principal as string, teams, scopes });
  });
  if (problems.length > 0) throw new TokensFileError(source, problems);
  return tokens;
}

export async function readTokensFile(path: string): Promise<StaticToken[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TokensFileError(path, [
      `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  return parseTokensFile(text, path);
}
