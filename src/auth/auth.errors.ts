/**
 * Why a request to /mcp is not let through. The edge maps each to HTTP with authErrorResponse():
 * Missing → 401, Invalid → 401 invalid_token, InsufficientScope → 403, Unavailable → 503.
 */
export abstract class AuthError extends Error {}

/** No bearer token (or another scheme): 401 with a bare challenge (RFC 6750 §3.1). */
export class MissingTokenError extends AuthError {
  constructor() {
    super('this endpoint needs an OAuth bearer token (Authorization: Bearer …)');
    this.name = 'MissingTokenError';
  }
}

/** The token is unknown, expired, revoked or unusable: 401 `invalid_token`. */
export class InvalidTokenError extends AuthError {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

/** The token lacks a scope the operation needs: 403 `insufficient_scope`. */
export class InsufficientScopeError extends AuthError {
  constructor(readonly requiredScope: string) {
    super(`the token lacks the scope ${requiredScope}`);
    this.name = 'InsufficientScopeError';
  }
}

/** The backend that validates tokens cannot be asked: 503, not 401 (the token may be fine). */
export class AuthUnavailableError extends AuthError {
  constructor(reason: string) {
    super(`cannot validate the token right now: ${reason}`);
    this.name = 'AuthUnavailableError';
  }
}
