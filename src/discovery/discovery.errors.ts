import type { ServerState } from './server-state.js';

/**
 * Typed domain errors of the discovery layer (docs/style.md §7); the router maps them to isError
 * results.
 */
export class ToolNotFoundError extends Error {
  constructor(
    readonly toolPath: string,
    readonly suggestions: readonly string[],
  ) {
    super(`unknown tool path "${toolPath}"`);
    this.name = 'ToolNotFoundError';
  }
}

export class UpstreamUnavailableError extends Error {
  constructor(
    readonly serverSlug: string,
    readonly reason: string,
    /** The server's visible state (server-state.ts) when it is configured. */
    readonly state?: ServerState,
  ) {
    super(`server "${serverSlug}" is unavailable: ${reason}`);
    this.name = 'UpstreamUnavailableError';
  }
}

/** The server's concurrency limit and its wait queue are both full (docs/operations.md). */
export class ServerBusyError extends UpstreamUnavailableError {
  constructor(
    serverSlug: string,
    readonly limit: number,
    readonly queue: number,
  ) {
    super(
      serverSlug,
      `it is busy: ${limit} calls are running and ${queue} are waiting, the most it takes`,
    );
    this.name = 'ServerBusyError';
  }
}

/** The server's (or every instance's) circuit breaker is open: the call failed fast, unsent. */
export class CircuitOpenError extends UpstreamUnavailableError {
  constructor(
    serverSlug: string,
    readonly detail: string,
  ) {
    super(serverSlug, `its circuit breaker is open (${detail})`);
    this.name = 'CircuitOpenError';
  }
}
