/** Typed domain errors of the discovery layer (house style §7); the router maps them to isError results. */
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
  ) {
    super(`server "${serverSlug}" is unavailable: ${reason}`);
    this.name = 'UpstreamUnavailableError';
  }
}
