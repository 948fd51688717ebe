import type { Principal } from './principal.js';

/**
 * Resolves who sends an `Authorization` header, or throws an AuthError (auth.errors.ts). One
 * implementation per mode: the backend's introspection (managed), static tokens or JWTs
 * (standalone `DEPLOYSTACK_AUTH`). Absent when standalone mode runs without authentication.
 */
export abstract class ClientAuthenticator {
  abstract authenticate(authorization: string | undefined): Promise<Principal>;
}
