import { HttpException, HttpStatus } from '@nestjs/common';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { QUOTA_EXCEEDED } from '../auth/client-quota.service.js';
import { HttpAnswerException } from '../auth/http-answer.js';
import { ToolCallFailure } from '../router/tool-call-failure.js';
import { InvalidArgumentsError, InvalidToolRequestError } from './rest.errors.js';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** An RFC 9457 problem details object, with this API's extension members. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [extension: string]: unknown;
}

/** A problem and the headers that go with it (`WWW-Authenticate`, `Retry-After`). */
export interface ProblemAnswer {
  readonly problem: Problem;
  readonly headers: Readonly<Record<string, string>>;
}

/** The problem types of the REST tool routes (docs/rest.md "Errors"). */
export const PROBLEM_TYPE_PREFIX = 'urn:deploystack:satellite:problem:';
const type = (name: string) => `${PROBLEM_TYPE_PREFIX}${name}`;

/** Seconds a caller is told to wait for a server that is starting, installing or respawning. */
const STARTING_RETRY_AFTER_S = 5;

/**
 * The one mapping from what the REST tool routes throw to RFC 9457 problems (docs/style.md §7):
 * the app's filter (src/client-error.filter.ts) writes it for every `/api/tools` request, so
 * the guards' refusals, the router's failures and Nest's own errors all answer alike.
 */
export function problemOf(exception: unknown): ProblemAnswer {
  if (exception instanceof InvalidArgumentsError) {
    return answer({
      type: type('invalid-arguments'),
      title: 'The arguments do not match the tool input schema',
      status: 400,
      detail: exception.message,
      tool_path: exception.toolPath,
      errors: exception.errors,
    });
  }
  if (exception instanceof InvalidToolRequestError) {
    return answer({
      type: type(exception.status === 415 ? 'unsupported-media-type' : 'invalid-request'),
      title: exception.status === 415 ? 'Unsupported media type' : 'Invalid request',
      status: exception.status,
      detail: exception.message,
    });
  }
  if (exception instanceof ToolCallFailure) return failureProblem(exception);
  if (exception instanceof McpError) return mcpErrorProblem(exception);
  if (exception instanceof HttpAnswerException) return authProblem(exception);
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return answer({
      type: 'about:blank',
      title: statusTitle(status),
      status,
      detail: httpExceptionDetail(exception),
    });
  }
  // Fastify's own client errors (a body too large, cut off) carry their 4xx status.
  const status = (exception as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return answer({
      type: 'about:blank',
      title: statusTitle(status),
      status,
      detail: (exception as Error).message,
    });
  }
  return answer({
    type: 'about:blank',
    title: statusTitle(500),
    status: 500,
    detail: 'the satellite failed to handle the request; see its log',
  });
}

function failureProblem(f: ToolCallFailure): ProblemAnswer {
  const common = { detail: f.message, tool_path: f.details.toolPath };
  const server = f.details.server !== undefined ? { server: f.details.server } : {};
  switch (f.kind) {
    case 'unknown_tool':
      return answer({
        type: type('unknown-tool'),
        title: 'Unknown tool',
        status: 404,
        ...common,
        suggestions: f.details.suggestions ?? [],
      });
    case 'unavailable': {
      const state = f.details.state;
      // Switched off in the configuration, or held by pinning: retrying does not help until an
      // operator acts.
      if (f.details.reason === 'held') {
        return answer({
          type: type('tool-held'),
          title: 'The tool is held until its changed definition is approved',
          status: 409,
          ...common,
          ...server,
        });
      }
      if (state === 'disabled') {
        return answer({
          type: type('server-disabled'),
          title: 'The tool server is disabled',
          status: 409,
          ...common,
          ...server,
          state,
        });
      }
      const transient =
        state === 'starting' ||
        state === 'installing' ||
        state === 'dormant' ||
        f.details.reason === 'restarting' ||
        f.details.reason === 'busy' ||
        f.details.reason === 'circuit_open';
      return answer(
        {
          type: type('server-unavailable'),
          title: 'The tool server is not available',
          status: 503,
          ...common,
          ...server,
          ...(state ? { state } : {}),
        },
        transient ? { 'retry-after': String(STARTING_RETRY_AFTER_S) } : {},
      );
    }
    case 'timeout':
      return answer({
        type: type('upstream-timeout'),
        title: 'The tool call timed out',
        status: 504,
        ...common,
        ...server,
        timeout_ms: f.details.timeoutMs,
      });
    case 'connection_closed':
    case 'upstream_error':
    case 'failed':
      return answer({
        type: type('upstream-failure'),
        title: 'The tool server failed',
        status: 502,
        ...common,
        ...server,
        ...(f.details.upstreamCode !== undefined ? { upstream_code: f.details.upstreamCode } : {}),
      });
  }
}

function mcpErrorProblem(err: McpError): ProblemAnswer {
  if (err.code === QUOTA_EXCEEDED) {
    const data = (err.data ?? {}) as { limit?: string; retry_after_seconds?: number };
    const retry = data.retry_after_seconds ?? 1;
    return answer(
      {
        type: type('quota-exceeded'),
        title: 'Too many requests',
        status: 429,
        detail: err.message.replace(/^MCP error -?\d+: /, ''),
        ...(data.limit ? { limit: data.limit } : {}),
      },
      { 'retry-after': String(retry) },
    );
  }
  if (err.code === (ErrorCode.InvalidParams as number)) {
    return answer({
      type: type('invalid-request'),
      title: 'Invalid request',
      status: 400,
      detail: err.message.replace(/^MCP error -?\d+: /, ''),
    });
  }
  return answer({
    type: 'about:blank',
    title: statusTitle(500),
    status: 500,
    detail: err.message,
  });
}

/** The auth guard's refusal (OAuth body, `WWW-Authenticate` / `Retry-After`), as a problem. */
function authProblem(e: HttpAnswerException): ProblemAnswer {
  const { status, headers, body } = e.answer;
  const oauth = (body ?? {}) as { error?: unknown; error_description?: unknown };
  const code = typeof oauth.error === 'string' ? oauth.error : undefined;
  const kept = Object.fromEntries(
    Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'content-type'),
  );
  return answer(
    {
      type: code ? type(code.replace(/_/g, '-')) : 'about:blank',
      title: statusTitle(status),
      status,
      detail: typeof oauth.error_description === 'string' ? oauth.error_description : '',
      ...(code ? { error: code } : {}),
    },
    kept,
  );
}

function answer(problem: Problem, headers: Record<string, string> = {}): ProblemAnswer {
  return { problem, headers };
}

function httpExceptionDetail(e: HttpException): string {
  const res = e.getResponse();
  if (typeof res === 'string') return res;
  const message = (res as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : e.message;
}

function statusTitle(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  if (!name) return `HTTP ${status}`;
  return name
    .toLowerCase()
    .split('_')
    .map((w, i) => (i === 0 ? w[0].toUpperCase() + w.slice(1) : w))
    .join(' ');
}
