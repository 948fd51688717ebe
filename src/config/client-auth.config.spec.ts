import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseTokensFile, TokensFileError } from './auth-tokens-file.js';
import { isLoopbackHost } from './client-auth.config.js';
import { ConfigError, loadSatelliteConfig } from './config.loader.js';

function file(name: string, content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'satauth-')), name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const servers = () => file('mcp.json', { mcpServers: {} });
const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadSatelliteConfig({ DEPLOYSTACK_MCP_CONFIG: servers(), ...env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};
const sha = (token: string) => createHash('sha256').update(token).digest('hex');

describe('isLoopbackHost', () => {
  it('knows loopback addresses and names, and nothing else', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST'])
      expect({ h, loopback: isLoopbackHost(h) }).toEqual({ h, loopback: true });
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.5',
      '192.168.1.2',
      'satellite.example.com',
      '128.0.0.1',
    ])
      expect({ h, loopback: isLoopbackHost(h) }).toEqual({ h, loopback: false });
  });
});

describe('the bind rule of DEPLOYSTACK_AUTH=none', () => {
  it('lets an unauthenticated satellite listen on loopback', () => {
    expect(problemsOf({ HOST: '127.0.0.1' })).toEqual([]);
    expect(problemsOf({})).toEqual([]);
  });

  it('refuses a non-loopback HOST without authentication, with one problem that says what to set', () => {
    const problems = problemsOf({ HOST: '0.0.0.0', NODE_ENV: 'production' });
    expect(problems).toHaveLength(1);
    for (const what of [
      'HOST=0.0.0.0',
      'DEPLOYSTACK_AUTH=tokens',
      'DEPLOYSTACK_AUTH_TOKENS_FILE',
      'DEPLOYSTACK_AUTH=jwt',
      'DEPLOYSTACK_ALLOW_UNAUTHENTICATED=true',
    ])
      expect(problems[0]).toContain(what);
    expect(problemsOf({ HOST: '10.1.2.3', DEPLOYSTACK_AUTH: 'none' })).toHaveLength(1);
  });

  it('allows it with DEPLOYSTACK_ALLOW_UNAUTHENTICATED=true, or with authentication, or in managed mode', () => {
    expect(problemsOf({ HOST: '0.0.0.0', DEPLOYSTACK_ALLOW_UNAUTHENTICATED: 'true' })).toEqual([]);
    const tokens = file('tokens.json', { tokens: [] });
    expect(
      problemsOf({
        HOST: '0.0.0.0',
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: tokens,
      }),
    ).toEqual([]);
    expect(
      problemsOf({
        HOST: '0.0.0.0',
        DEPLOYSTACK_AUTH: 'jwt',
        DEPLOYSTACK_AUTH_JWT_ISSUER: 'https://idp.example.com',
        DEPLOYSTACK_AUTH_JWT_AUDIENCE: 'https://satellite.example.com/mcp',
      }),
    ).toEqual([]);
    expect(
      problemsOf({
        HOST: '0.0.0.0',
        DEPLOYSTACK_BACKEND_URL: 'https://backend.example.com',
        DEPLOYSTACK_SATELLITE_NAME: 'satellite-01',
      }),
    ).toEqual([]);
  });
});

describe('DEPLOYSTACK_AUTH settings', () => {
  it('requires the tokens file for tokens, issuer and audience for jwt', () => {
    expect(problemsOf({ DEPLOYSTACK_AUTH: 'tokens' })).toEqual([
      expect.stringMatching(
        /^DEPLOYSTACK_AUTH_TOKENS_FILE=undefined: .*required when DEPLOYSTACK_AUTH=tokens/,
      ),
    ]);
    const jwt = problemsOf({ DEPLOYSTACK_AUTH: 'jwt' });
    expect(jwt).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DEPLOYSTACK_AUTH_JWT_ISSUER=.*required when DEPLOYSTACK_AUTH=jwt/),
        expect.stringMatching(
          /^DEPLOYSTACK_AUTH_JWT_AUDIENCE=.*required when DEPLOYSTACK_AUTH=jwt/,
        ),
      ]),
    );
    expect(problemsOf({ DEPLOYSTACK_AUTH: 'ldap' })).toEqual([
      expect.stringMatching(/^DEPLOYSTACK_AUTH="ldap": /),
    ]);
  });

  it('reads jwt settings and quota defaults', () => {
    const config = loadSatelliteConfig({
      DEPLOYSTACK_MCP_CONFIG: servers(),
      DEPLOYSTACK_AUTH: 'jwt',
      DEPLOYSTACK_AUTH_JWT_ISSUER: 'https://idp.example.com/realms/x',
      DEPLOYSTACK_AUTH_JWT_AUDIENCE: 'a, b',
      DEPLOYSTACK_SATELLITE_URL: 'https://sat.example.com/',
    });
    expect(config.auth).toEqual({
      client: {
        kind: 'jwt',
        issuer: 'https://idp.example.com/realms/x',
        audience: ['a', 'b'],
        teamsClaim: 'teams',
      },
      satelliteUrl: 'https://sat.example.com',
      quotas: {
        maxSessionsPerPrincipal: 50,
        callsPerMinute: 600,
        maxConcurrentCalls: 32,
        maxStreamsPerSession: 4,
      },
    });
  });

  it('reads the tokens file at boot and stops the boot on a bad one', () => {
    const good = file('tokens.json', {
      tokens: [{ sha256: sha('t1').toUpperCase(), principal: 'alice', teams: ['dev'] }],
    });
    const config = loadSatelliteConfig({
      DEPLOYSTACK_MCP_CONFIG: servers(),
      DEPLOYSTACK_AUTH: 'tokens',
      DEPLOYSTACK_AUTH_TOKENS_FILE: good,
    });
    expect(config.auth.client).toEqual({
      kind: 'tokens',
      tokensFile: good,
      initialTokens: [{ sha256: sha('t1'), principal: 'alice', teams: ['dev'], scopes: [] }],
    });
    const bad = file('tokens.json', { tokens: [{ token: 'secret-token', principal: 'x' }] });
    const problems = problemsOf({ DEPLOYSTACK_AUTH: 'tokens', DEPLOYSTACK_AUTH_TOKENS_FILE: bad });
    expect(problems.join('\n')).toMatch(/store only the SHA-256/);
    expect(problems.join('\n')).not.toContain('secret-token');
    expect(
      problemsOf({ DEPLOYSTACK_AUTH: 'tokens', DEPLOYSTACK_AUTH_TOKENS_FILE: '/nope/t.json' }),
    ).toEqual([expect.stringMatching(/cannot read the file \(ENOENT\)/)]);
  });
});

describe('parseTokensFile', () => {
  it('names every problem', () => {
    const err = (() => {
      try {
        parseTokensFile(
          JSON.stringify({
            tokens: [
              { sha256: 'abc', principal: 'a' },
              { sha256: sha('x'), principal: 'has space', teams: ['ok', 'not ok'] },
              { sha256: sha('y'), principal: 'b', scopes: 'mcp:read' },
              { sha256: sha('y'), principal: 'c' },
              'nope',
            ],
          }),
          'tokens.json',
        );
      } catch (e) {
        return e as TokensFileError;
      }
      throw new Error('accepted');
    })();
    expect(err).toBeInstanceOf(TokensFileError);
    expect(err.problems).toEqual([
      'tokens[0].sha256 must be 64 hex digits (the SHA-256 of the token)',
      'tokens[1].principal must be 1-256 printable characters without spaces',
      expect.stringMatching(/^tokens\[1\]\.teams must be an array of strings/),
      expect.stringMatching(/^tokens\[2\]\.scopes must be an array of strings/),
      'tokens[4] must be an object',
    ]);
    expect(() => parseTokensFile('[]', 't')).toThrow(/\{"tokens": \[\.\.\.\]\}/);
  });
});
