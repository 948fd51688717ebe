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
