import { describe, expect, it } from '@jest/globals';
import { AuthUnavailableError, InvalidTokenError, MissingTokenError } from './auth.errors.js';
import { authErrorResponse } from './auth-error.response.js';
import { bearerToken } from './bearer-auth.service.js';
import { bearerChallenge } from './www-authenticate.js';

const META = 'https://sat.example.com/.well-known/oauth-protected-resource/mcp';

describe('WWW-Authenticate', () => {
  it('points to the resource metadata, with error details when given (RFC 6750 §3, RFC 9728 §5.1)', () => {
    expect(bearerChallenge({ resourceMetadataUrl: META })).toBe(
      `Bearer resource_metadata="${META}"`,
    );
    expect(
      bearerChallenge({
        resourceMetadataUrl: META,
        error: 'insufficient_scope',
        scope: 'mcp:tools:execute',
      }),
    ).toBe(
      `Bearer resource_metadata="${META}", error="insufficient_scope", scope="mcp:tools:execute"`,
    );
  });

  it('quotes safely: no header injection, no broken quoting', () => {
    const value = bearerChallenge({
      resourceMetadataUrl: META,
      error: 'invalid_token',
      description: 'bad "token" \\ here\r\nX-Evil: 1',
    });
    expect(value).toBe(
      `Bearer resource_metadata="${META}", error="invalid_token", error_description="bad \\"token\\" \\\\ here  X-Evil: 1"`,
    );
    expect(value).not.toMatch(/[\r\n]/);
  });

  it('maps each AuthError to its status', () => {
    expect(authErrorResponse(new MissingTokenError(), META).status).toBe(401);
    expect(authErrorResponse(new InvalidTokenError('expired'), META)).toMatchObject({
      status: 401,
      body: { error: 'invalid_token' },
    });
    const unavailable = authErrorResponse(
      new AuthUnavailableError('ECONNREFUSED 10.0.0.5:3000'),
      META,
    );
    expect(unavailable.status).toBe(503);
    // Backend addresses and network errors stay in the satellite's log.
    expect(JSON.stringify(unavailable)).not.toContain('10.0.0.5');
  });
});

describe('bearerToken', () => {
  it('reads the Bearer scheme case-insensitively and nothing else', () => {
    expect(bearerToken('Bearer abc.def-ghi')).toBe('abc.def-ghi');
    expect(bearerToken('bearer xyz==')).toBe('xyz==');
    expect([
      bearerToken(undefined),
      bearerToken('Basic abc'),
      bearerToken('Bearer'),
      bearerToken('Bearer a b'),
    ]).toEqual([undefined, undefined, undefined, undefined]);
  });
});
