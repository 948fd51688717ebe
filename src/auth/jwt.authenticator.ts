import { Injectable, Logger } from '@nestjs/common';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { SatelliteConfig } from '../config/satellite-config.js';
import { Clock } from '../events/clock.js';
import { AuthUnavailableError, InvalidTokenError, MissingTokenError } from './auth.errors.js';
import { bearerToken } from './bearer-auth.service.js';
import { ClientAuthenticator } from './client-authenticator.js';
import type { Principal } from './principal.js';

/** Asymmetric signatures only: a JWKS never holds a shared secret a client could also know. */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];
const HTTP_TIMEOUT_MS = 5_000;
/** An unknown `kid` refetches the key set at most this often (key rotation vs. a flood). */
const REFETCH_COOLDOWN_MS = 5_000;
const KEYS_MAX_AGE_MS = 10 * 60_000;
/** After a failed discovery, requests fail fast (503) this long before it is tried again. */
const DISCOVERY_RETRY_MS = 5_000;
const CLOCK_TOLERANCE_S = 30;

type JwtSettings = Extract<SatelliteConfig['auth']['client'], { kind: 'jwt' }>;

/**
 * `DEPLOYSTACK_AUTH=jwt`: access tokens of the operator's identity provider, verified with `jose`
 * against the issuer, the audience and the provider's keys (`DEPLOYSTACK_AUTH_JWKS_URL`, else the
 * `jwks_uri` of the issuer's discovery document). Keys are cached and refetched when a token names
 * an unknown key (rotation). A provider that cannot be reached is a 503, never a 401.
 */
@Injectable()
export class JwtAuthenticator extends ClientAuthenticator {
  private readonly logger = new Logger(JwtAuthenticator.name);
  private readonly settings: JwtSettings;
  private keys?: JWTVerifyGetKey;
  private resolving?: Promise<JWTVerifyGetKey>;
  private failedAt = 0;
  private lastFailure = '';

  constructor(
    config: SatelliteConfig,
    private readonly clock: Clock,
  ) {
    super();
    const auth = config.auth.client;
    if (auth.kind !== 'jwt') throw new Error('JwtAuthenticator needs DEPLOYSTACK_AUTH=jwt');
    this.settings = auth;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (!token) throw new MissingTokenError();
    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: [...this.settings.audience],
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      throw classify(err);
    }
    return this.principalOf(payload);
  }

  private principalOf(payload: JWTPayload): Principal {
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new InvalidTokenError('the token names no subject (sub)');
    const teams = words(payload[this.settings.teamsClaim], /[\s,]+/);
    const scopes = [...new Set([...words(payload.scope, /\s+/), ...words(payload.scp, /\s+/)])];
    const clientId = [payload.client_id, payload.azp].find((v) => typeof v === 'string');
    return {
      userId: payload.sub,
      teamId: teams[0] ?? '',
      teams,
      teamPermissions: [],
      scopes,
      ...(typeof clientId === 'string' ? { clientId } : {}),
      ...(payload.exp !== undefined ? { expiresAt: payload.exp * 1000 } : {}),
    };
  }

  /** The remote key set, once its URL is known (discovery is tried again after a failure). */
  private keySet(): Promise<JWTVerifyGetKey> {
    if (this.keys) return Promise.resolve(this.keys);
    if (this.clock.now() - this.failedAt < DISCOVERY_RETRY_MS)
      return Promise.reject(new AuthUnavailableError(this.lastFailure));
    this.resolving ??= this.jwksUrl()
      .then((url) => {
        this.logger.log(`verifying JWTs of ${this.settings.issuer} with the keys at ${url}`);
        const remote = createRemoteJWKSet(new URL(url), {
          timeoutDuration: HTTP_TIMEOUT_MS,
          cooldownDuration: REFETCH_COOLDOWN_MS,
          cacheMaxAge: KEYS_MAX_AGE_MS,
        });
        // Failing to fetch the keys is the provider's problem (503), told apart from a bad token.
        const keys: JWTVerifyGetKey = async (header, token) => {
          try {
            return await remote(header, token);
          } catch (err) {
            throw fetchFailure(err) ?? err;
          }
        };
        this.keys = keys;
        return keys;
      })
      .catch((err: unknown) => {
        this.failedAt = this.clock.now();
        this.lastFailure = (err as Error).message;
        this.logger.warn(`cannot find the key set of ${this.settings.issuer}: ${this.lastFailure}`);
        throw new AuthUnavailableError(this.lastFailure);
      })
      .finally(() => (this.resolving = undefined));
    return this.resolving;
  }

  /** The configured JWKS URL, or the `jwks_uri` of OpenID discovery, else RFC 8414 metadata. */
  private async jwksUrl(): Promise<string> {
    if (this.settings.jwksUrl) return this.settings.jwksUrl;
    const issuer = new URL(this.settings.issuer);
    const path = issuer.pathname.replace(/\/+$/, '');
    const candidates = [
      `${issuer.origin}${path}/.well-known/openid-configuration`,
      `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    ];
    const failures: string[] = [];
    for (const url of candidates) {
      try {
        const res = await fetch(url, {
          headers: { accept: 'application/json' },
          redirect: 'error',
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
        if (!res.ok) {
          failures.push(`${url}: HTTP ${res.status}`);
          continue;
        }
        const doc = (await res.json()) as { jwks_uri?: unknown };
        if (typeof doc.jwks_uri === 'string' && /^https?:\/\//.test(doc.jwks_uri))
          return doc.jwks_uri;
        failures.push(`${url}: no http(s) jwks_uri`);
      } catch (err) {
        failures.push(`${url}: ${(err as Error).message}`);
      }
    }
    throw new Error(`no key set found (${failures.join('; ')}); set DEPLOYSTACK_AUTH_JWKS_URL`);
  }
}

/** A string claim split into words, or an array claim's strings. */
function words(claim: unknown, separator: RegExp): string[] {
  if (typeof claim === 'string') return claim.split(separator).filter(Boolean);
  if (Array.isArray(claim))
    return claim.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}

/** The key set could not be fetched or read (the provider is down or misconfigured). */
function fetchFailure(err: unknown): AuthUnavailableError | undefined {
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError) ||
    err.code === 'ERR_JOSE_GENERIC'
  )
    return new AuthUnavailableError(`the key set cannot be fetched: ${(err as Error).message}`);
  return undefined;
}

/** jose's verdict as an AuthError: a bad token is 401, a key set that cannot be had is 503. */
function classify(err: unknown): Error {
  if (err instanceof AuthUnavailableError) return err;
  if (err instanceof errors.JWTExpired) return new InvalidTokenError('the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed)
    return new InvalidTokenError(
      `the token's "${err.claim}" claim is not accepted (${err.reason})`,
    );
  if (err instanceof errors.JWKSNoMatchingKey)
    return new InvalidTokenError('the token is signed with a key the issuer does not publish');
  return new InvalidTokenError(
    `the token is not valid: ${err instanceof Error ? err.message : String(err)}`,
  );
}
