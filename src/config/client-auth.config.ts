import { readFileSync } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { parseTokensFile, type StaticToken, TokensFileError } from './auth-tokens-file.js';
import type { EnvDto } from './env.dto.js';
import type { ClientAuthConfig, QuotaConfig } from './satellite-config.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIPv4(h)) return LOOPBACK.check(h, 'ipv4');
  if (isIPv6(h)) return LOOPBACK.check(h, 'ipv6');
  return false;
}

/** What an operator must set when a non-loopback HOST would serve MCP without authentication. */
export function unauthenticatedBindProblem(host: string): string {
  return (
    `HOST=${host} is not a loopback address and MCP clients are not authenticated ` +
    '(DEPLOYSTACK_AUTH=none): anyone who reaches the port could run every tool of every server. ' +
    'Set DEPLOYSTACK_AUTH=tokens with DEPLOYSTACK_AUTH_TOKENS_FILE, or DEPLOYSTACK_AUTH=jwt with ' +
    'DEPLOYSTACK_AUTH_JWT_ISSUER and DEPLOYSTACK_AUTH_JWT_AUDIENCE; or, only when something in ' +
    'front of the satellite authenticates every request, DEPLOYSTACK_ALLOW_UNAUTHENTICATED=true ' +
    '(docs/security.md)'
  );
}

/**
 * `DEPLOYSTACK_AUTH*` into the client-auth configuration, pushing what is wrong onto `problems`:
 * the tokens file is read and validated here, like the server file, so a bad file stops the boot.
 * In managed mode the backend authenticates clients and these settings are not used.
 */
export function loadClientAuth(
  dto: EnvDto,
  cwd: string,
  host: string,
  problems: string[],
): ClientAuthConfig {
  const managed = dto.DEPLOYSTACK_BACKEND_URL !== undefined;
  const kind = managed ? 'none' : (dto.DEPLOYSTACK_AUTH ?? 'none');
  if (kind === 'tokens') {
    const file = dto.DEPLOYSTACK_AUTH_TOKENS_FILE ?? '';
    const tokensFile = isAbsolute(file) ? file : resolve(cwd, file);
    let initialTokens: StaticToken[] = [];
    // Unset: env.dto.ts already reported it.
    if (file)
      try {
        initialTokens = parseTokensFile(readFileSync(tokensFile, 'utf8'), tokensFile);
      } catch (err) {
        if (err instanceof TokensFileError)
          problems.push(
            ...err.problems.map((p) => `DEPLOYSTACK_AUTH_TOKENS_FILE=${tokensFile}: ${p}`),
          );
        else
          problems.push(
            `DEPLOYSTACK_AUTH_TOKENS_FILE=${tokensFile}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
          );
      }
    return { kind, tokensFile, initialTokens };
  }
  if (kind === 'jwt') {
    return {
      kind,
      issuer: dto.DEPLOYSTACK_AUTH_JWT_ISSUER ?? '',
      audience: (dto.DEPLOYSTACK_AUTH_JWT_AUDIENCE ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
      ...(dto.DEPLOYSTACK_AUTH_JWKS_URL ? { jwksUrl: dto.DEPLOYSTACK_AUTH_JWKS_URL } : {}),
      teamsClaim: dto.DEPLOYSTACK_AUTH_JWT_TEAMS_CLAIM ?? 'teams',
    };
  }
  const allowUnauthenticated = dto.DEPLOYSTACK_ALLOW_UNAUTHENTICATED ?? false;
  if (!managed && !isLoopbackHost(host) && !allowUnauthenticated)
    problems.push(unauthenticatedBindProblem(host));
  return { kind: 'none', allowUnauthenticated };
}

export function loadQuotas(dto: EnvDto): QuotaConfig {
  return {
    maxSessionsPerPrincipal: dto.DEPLOYSTACK_MAX_SESSIONS_PER_PRINCIPAL ?? 50,
    callsPerMinute: dto.DEPLOYSTACK_RATE_LIMIT_PER_MINUTE ?? 600,
    maxConcurrentCalls: dto.DEPLOYSTACK_MAX_CONCURRENT_CALLS_PER_PRINCIPAL ?? 32,
    maxStreamsPerSession: dto.DEPLOYSTACK_MAX_STREAMS_PER_SESSION ?? 4,
  };
}
