import type { FastifyReply, FastifyRequest } from 'fastify';

/** JSON-RPC error codes used at the HTTP edge (the SDK uses the same ones). */
export const PARSE_ERROR = -32700;
export const SERVER_ERROR = -32000;
export const SESSION_NOT_FOUND = -32001;

export function rpcError(reply: FastifyReply, status: number, code: number, message: string): void {
  void reply
    .code(status)
    .header('content-type', 'application/json')
    .send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** A direct endpoint naming no server the caller may use (both protocol eras). */
export function noSuchServer(reply: FastifyReply, slug: string): void {
  rpcError(reply, 404, SERVER_ERROR, `Not Found: no MCP server "${slug}" is available to you`);
}

/** A direct endpoint whose server cannot be reached now (both protocol eras). */
export function serverUnreachable(reply: FastifyReply, slug: string, err: unknown): void {
  rpcError(
    reply,
    503,
    SERVER_ERROR,
    `Service Unavailable: server "${slug}" cannot be reached: ${(err as Error).message}`,
  );
}

/** The transport's media-type rules (406/415), checked before any session lookup, in the SDK's order. */
export function checkMediaTypes(
  req: FastifyRequest,
): { status: number; message: string } | undefined {
  const accept = req.headers.accept ?? '';
  if (req.method === 'POST') {
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return {
        status: 406,
        message: 'Not Acceptable: Client must accept both application/json and text/event-stream',
      };
    }
    if (!(req.headers['content-type'] ?? '').includes('application/json')) {
      return {
        status: 415,
        message: 'Unsupported Media Type: Content-Type must be application/json',
      };
    }
  } else if (req.method === 'GET' && !accept.includes('text/event-stream')) {
    return { status: 406, message: 'Not Acceptable: Client must accept text/event-stream' };
  }
  return undefined;
}
