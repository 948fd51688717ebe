import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { UpstreamUnavailableError } from './discovery.errors.js';

/** Socket errors that mean no byte of the request reached the server (nothing listened there). */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Thrown when an instance could not be connected (MCP handshake included) before the call was
 * sent, or when its breaker refused the call: the request never reached that instance.
 */
export class InstanceNotReachedError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`instance ${url} not reached: ${reason}`, options);
    this.name = 'InstanceNotReachedError';
  }
}

/** The caller cancelled: never a failure of the instance (unwrapped before it reaches anyone). */
export class CallCancelled extends Error {
  constructor(readonly original: unknown) {
    super('cancelled by the caller');
    this.name = 'CallCancelled';
  }
}

/**
 * Every instance of a pool is out of rotation: the call fails at once, unsent. It does not count
 * against the server's breaker (nothing was tried); the health checks bring instances back.
 */
export class NoInstanceInRotationError extends UpstreamUnavailableError {
  constructor(serverSlug: string, instances: number) {
    super(
      serverSlug,
      `none of its ${instances} instance(s) is in rotation (ejected until a health probe succeeds)`,
    );
    this.name = 'NoInstanceInRotationError';
  }
}

/** True when the request cannot have reached the server, so sending it elsewhere is always safe. */
export function notReached(err: unknown): boolean {
  if (err instanceof InstanceNotReachedError) return true;
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_CONNECTED.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whether a failed call speaks against the instance (breakers, outlier detection): the
 * connection failed, broke, or timed out, or the server answered 5xx. A JSON-RPC error, a 4xx
 * or a cancellation by the caller is an answer of a live server and does not count.
 */
export function isInstanceFailure(err: unknown): boolean {
  if (err instanceof CallCancelled || err instanceof NoInstanceInRotationError) return false;
  if (err instanceof McpError) {
    return (
      err.code === (ErrorCode.ConnectionClosed as number) ||
      err.code === (ErrorCode.RequestTimeout as number)
    );
  }
  if (err instanceof StreamableHTTPError) return err.code === undefined || err.code >= 500;
  return true;
}

/** A short description for status pages and error texts. */
export function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
