import {
  type AuthError,
  InsufficientScopeError,
  InvalidTokenError,
  MissingTokenError,
} from './auth.errors.js';
import { bearerChallenge } from './www-authenticate.js';

export interface AuthErrorResponse {
  readonly status: 401 | 403 | 503;
  readonly headers: Readonly<Record<string, string>>;
  /** OAuth-style error body (RFC 6750 §3 codes). */
  readonly body: { readonly error: string; readonly error_description: string };
}

/** Seconds a client should wait before retrying while the backend cannot validate tokens. */
const RETRY_AFTER_SECONDS = 5;

/** Translates an AuthError into the HTTP answer at the edge (docs/style.md §7). */
export function authErrorResponse(err: AuthError, resourceMetadataUrl: string): AuthErrorResponse {
  if (err instanceof MissingTokenError) {
    return {
      status: 401,
      headers: { 'www-authenticate': bearerChallenge({ resourceMetadataUrl }) },
      body: { error: 'unauthorized', error_description: err.message },
    };
  }
  if (err instanceof InvalidTokenError) {
    return {
      status: 401,
      headers: {
        'www-authenticate': bearerChallenge({
          resourceMetadataUrl,
          error: 'invalid_token',
          description: err.message,
        }),
      },
      body: { error: 'invalid_token', error_description: err.message },
    };
  }
  if (err instanceof InsufficientScopeError) {
    return {
      status: 403,
      headers: {
        'www-authenticate': bearerChallenge({
          resourceMetadataUrl,
          error: 'insufficient_scope',
          description: err.message,
          scope: err.requiredScope,
        }),
      },
      body: { error: 'insufficient_scope', error_description: err.message },
    };
  }
  // AuthUnavailableError, and anything unexpected: the details (backend URL, network error) are
  // for the satellite's log, not for the client.
  return {
    status: 503,
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    body: {
      error: 'temporarily_unavailable',
      error_description: 'cannot validate the token right now; try again shortly',
    },
  };
}
