/**
 * Typed failures of the backend client. Messages never carry the API key or a token.
 */

/** The backend could not be reached or answered with a passing failure (network, timeout, 5xx, 429). */
export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/** The backend refused the request itself (a 4xx other than 401/404/429): retrying will not help. */
export class BackendRequestRejectedError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'BackendRequestRejectedError';
  }
}

/** 401 on a call made with the API key: the key is dead (e.g. the satellite re-registered elsewhere). */
export class ApiKeyRejectedError extends Error {
  constructor(what: string) {
    super(`the backend rejected the satellite's API key (${what})`);
    this.name = 'ApiKeyRejectedError';
  }
}

/** 404 on a satellite-scoped call: the satellite was deleted at the backend. */
export class SatelliteNotFoundError extends Error {
  constructor(satelliteId: string) {
    super(`the backend does not know satellite ${satelliteId} (deleted?)`);
    this.name = 'SatelliteNotFoundError';
  }
}

/** A call that needs credentials was made before the satellite registered. */
export class NotRegisteredError extends Error {
  constructor() {
    super('the satellite is not registered with the backend yet');
    this.name = 'NotRegisteredError';
  }
}

/** Registration failed; `message` tells the operator what to do. */
export class RegistrationError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/** The registration endpoint's refusal, before it is turned into an operator message. */
export class RegistrationRefusal extends Error {
  constructor(
    readonly code: string,
    readonly backendMessage: string,
    readonly status: number,
  ) {
    super(`registration refused: ${code}`);
    this.name = 'RegistrationRefusal';
  }
}
