import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { parseOrProblems } from '../../src/config/zod-schema.js';
import type { FakeRoute } from './fake-backend.types.js';

/** HTTP plumbing of the fake backend: routing, JSON in and out, contract errors. */

export type Json = Record<string, unknown>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(String(body.error));
  }
}

export function routeOf(
  method: string,
  path: string,
): { name: FakeRoute; satelliteId?: string } | undefined {
  if (method === 'GET' && path === '/api/health') return { name: 'health' };
  if (method === 'POST' && path === '/api/satellites/register') return { name: 'register' };
  if (method === 'POST' && path === '/api/oauth2/introspect') return { name: 'introspect' };
  const m =
    /^\/api\/satellites\/([^/]+)\/(heartbeat|commands|command-result|config|events|tokens\/retrieve)$/.exec(
      path,
    );
  if (!m) return undefined;
  const [, id, tail] = m;
  const get = tail === 'commands' || tail === 'config';
  if ((method === 'GET') !== get) return undefined;
  const name = tail === 'tokens/retrieve' ? 'tokens' : (tail as FakeRoute);
  return { name, satelliteId: decodeURIComponent(id) };
}

export function bearer(req: IncomingMessage): string | undefined {
  return /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
}

export function badRequest(problems: string[]): HttpError {
  return new HttpError(400, {
    success: false,
    error: 'validation_error',
    message: problems.join('; '),
    problems,
  });
}

/** Every problem, each naming its path (e.g. `body.system_metrics.cpu_usage_percnt: unknown field`). */
export function problemsOf(schema: z.ZodType, value: unknown, root = 'body'): string[] {
  const parsed = parseOrProblems(schema, value, root, 'colon');
  return parsed.ok ? [] : parsed.problems;
}

export function strict(schema: z.ZodType, value: unknown): void {
  const problems = problemsOf(schema, value);
  if (problems.length > 0) throw badRequest(problems);
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(415, { success: false, error: 'unsupported_media_type' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024)
      throw new HttpError(413, { success: false, error: 'payload_too_large' });
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw badRequest(['body: not JSON']);
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body: Json,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
