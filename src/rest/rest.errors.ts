/** One way the arguments miss the tool's input schema (a JSON Schema validator's error). */
export interface ArgumentError {
  /** JSON Pointer (RFC 6901) into the arguments: where the error is ("" for the whole body). */
  readonly pointer: string;
  /** The schema keyword that failed (`required`, `type`, `additionalProperties`…). */
  readonly keyword: string;
  readonly message: string;
  readonly params: Record<string, unknown>;
}

/** The arguments of a REST call do not match the tool's input schema (docs/rest.md "Errors"). */
export class InvalidArgumentsError extends Error {
  constructor(
    readonly toolPath: string,
    readonly errors: readonly ArgumentError[],
  ) {
    super(
      `the arguments do not match the input schema of ${toolPath}: ` +
        errors
          .slice(0, 3)
          .map((e) => `${e.pointer || '(body)'} ${e.message}`)
          .join('; ') +
        (errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''),
    );
    this.name = 'InvalidArgumentsError';
  }
}

/** A REST tool request that is malformed apart from the arguments' schema (query, body, media type). */
export class InvalidToolRequestError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 415 = 400,
  ) {
    super(message);
    this.name = 'InvalidToolRequestError';
  }
}
