import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  CallCancelled,
  InstanceNotReachedError,
  isInstanceFailure,
  notReached,
} from './call-failure.js';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

describe('call failures: may a call go elsewhere, does it count against the instance', () => {
  it('a refused connection (real fetch) cannot have reached the server', async () => {
    const err = await fetch(`http://127.0.0.1:${await closedPort()}/mcp`, { method: 'POST' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(notReached(err)).toBe(true);
    expect(isInstanceFailure(err)).toBe(true);
  });

  it('an instance not connected, or refused by its breaker, was not reached', () => {
    expect(notReached(new InstanceNotReachedError('http://a/mcp', 'its breaker is open'))).toBe(
      true,
    );
  });

  it('a broken connection or a timeout may have reached it: no free retry, but a failure', () => {
    const closed = new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
    const timeout = new McpError(ErrorCode.RequestTimeout, 'Request timed out');
    const reset = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    for (const err of [closed, timeout, reset]) {
      expect(notReached(err)).toBe(false);
      expect(isInstanceFailure(err)).toBe(true);
    }
    expect(isInstanceFailure(new StreamableHTTPError(503, 'unavailable'))).toBe(true);
  });

  it('an answer of a live server, or a cancellation by the caller, does not count', () => {
    expect(isInstanceFailure(new McpError(ErrorCode.InvalidParams, 'bad arguments'))).toBe(false);
    expect(isInstanceFailure(new StreamableHTTPError(401, 'unauthorized'))).toBe(false);
    expect(isInstanceFailure(new CallCancelled(new Error('AbortError')))).toBe(false);
  });
});
