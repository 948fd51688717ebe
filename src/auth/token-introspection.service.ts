import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { BackendApiClient } from '../backend/backend-api.client.js';
import { ApiKeyRejectedError, SatelliteNotFoundError } from '../backend/backend.errors.js';
import { BackendConnectionService } from '../backend/backend-connection.service.js';
import type { IntrospectionResponse } from '../backend/backend-wire.schema.js';
import { Clock } from '../events/clock.js';
import { AuthUnavailableError } from './auth.errors.js';
import { IntrospectionCache, type TokenVerdict } from './introspection-cache.js';

/**
 * docs/backend-contract.md "Client token introspection": cache until `exp`, at most 5 minutes;
 * negatives briefly.
 */
export const MAX_POSITIVE_TTL_MS = 5 * 60_000;
export const NEGATIVE_TTL_MS = 10_000;

export interface IntrospectionStats {
  readonly cached: number;
  readonly backendCalls: number;
  readonly cacheHits: number;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Validates client bearer tokens by introspection at the backend, with a cache keyed by the
 * token's SHA-256, one in-flight call per token, and no caching of "backend unreachable"
 * (that is a 503 for this request only, never a verdict on the token).
 */
@Injectable()
export class TokenIntrospectionService {
  private readonly logger = new Logger(TokenIntrospectionService.name);
  private readonly cache = new IntrospectionCache();
  private readonly inFlight = new Map<string, Promise<TokenVerdict>>();
  /** Bumped by every invalidation: a lookup that started before one must not cache its answer. */
  private epoch = 0;
  private backendCalls = 0;
  private cacheHits = 0;

  constructor(
    private readonly api: BackendApiClient,
    private readonly connection: BackendConnectionService,
    private readonly clock: Clock,
  ) {}

  /** Throws AuthUnavailableError when the backend cannot answer. */
  verify(token: string): Promise<TokenVerdict> {
    const key = sha256(token);
    const hit = this.cache.get(key, this.clock.now());
    if (hit) {
      this.cacheHits++;
      return Promise.resolve(hit);
    }
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.lookup(key, token).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Drops one user's cached tokens (the `invalidate_user_token_cache` command). */
  invalidateUser(userId: string): number {
    this.epoch++;
    const dropped = this.cache.invalidateUser(userId);
    this.logger.log(`dropped ${dropped} cached token(s) of user ${userId}`);
    return dropped;
  }

  sweep(): number {
    return this.cache.sweep(this.clock.now());
  }

  stats(): IntrospectionStats {
    return {
      cached: this.cache.size(),
      backendCalls: this.backendCalls,
      cacheHits: this.cacheHits,
    };
  }

  private async lookup(key: string, token: string): Promise<TokenVerdict> {
    const epoch = this.epoch;
    let answer: IntrospectionResponse;
    this.backendCalls++;
    try {
      answer = await this.api.introspect(token);
    } catch (err) {
      if (err instanceof ApiKeyRejectedError || err instanceof SatelliteNotFoundError)
        this.connection.credentialsLost(err);
      throw new AuthUnavailableError(err instanceof Error ? err.message : String(err));
    }
    const now = this.clock.now();
    const { verdict, expiresAt } = judge(answer, now);
    if (epoch === this.epoch) this.cache.set(key, verdict, expiresAt);
    return verdict;
  }
}

function judge(
  answer: IntrospectionResponse,
  now: number,
): { verdict: TokenVerdict; expiresAt: number } {
  const negative = (reason: string) => ({
    verdict: { active: false, reason } as const,
    expiresAt: now + NEGATIVE_TTL_MS,
  });
  if (!answer.active) return negative('the token is not active (unknown, expired or revoked)');
  const expMs = answer.exp !== undefined ? answer.exp * 1000 : undefined;
  if (expMs !== undefined && expMs <= now) return negative('the token has expired');
  if (!answer.sub) return negative('the token names no user');
  if (!answer.team_id) return negative('the token names no team');
  return {
    verdict: {
      active: true,
      principal: {
        userId: answer.sub,
        teamId: answer.team_id,
        ...(answer.team_name ? { teamName: answer.team_name } : {}),
        ...(answer.team_role ? { teamRole: answer.team_role } : {}),
        teamPermissions: answer.team_permissions ?? [],
        scopes: (answer.scope ?? '').split(' ').filter(Boolean),
        ...(answer.client_id ? { clientId: answer.client_id } : {}),
        ...(answer.username ? { username: answer.username } : {}),
        ...(expMs !== undefined ? { expiresAt: expMs } : {}),
      },
    },
    expiresAt: Math.min(expMs ?? Infinity, now + MAX_POSITIVE_TTL_MS),
  };
}
