import { describe, expect, it } from '@jest/globals';
import { NotFoundException } from '@nestjs/common';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { authErrorResponse } from '../auth/auth-error.response.js';
import { InsufficientScopeError, MissingTokenError } from '../auth/auth.errors.js';
import { QUOTA_EXCEEDED } from '../auth/client-quota.service.js';
import { HttpAnswerException } from '../auth/http-answer.js';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import { UpstreamUnavailableError } from '../discovery/discovery.errors.js';
import { upstreamFailure } from '../router/tool-call-failure.js';
import { InvalidArgumentsError } from './rest.errors.js';
import { problemOf } from './tool-problems.js';

const entry = {
  path: 'gh-create_issue',
  serverId: 'gh-id',
  serverSlug: 'gh',
  team: 'default',
  transport: 'stdio',
  tool: { name: 'create_issue', inputSchema: { type: 'object' } },
  tokenCount: 10,
} as CatalogEntry;
const P = 'urn:deploystack:satellite:problem:';

describe('problemOf: what /api/tools answers for each error', () => {
  it('answers schema errors with 400 and the errors as an extension', () => {
    const errors = [{ pointer: '/title', keyword: 'required', message: 'missing', params: {} }];
    const { problem, headers } = problemOf(new InvalidArgumentsError('gh-create_issue', errors));
    expect(problem).toMatchObject({ type: `${P}invalid-arguments`, status: 400, errors });
    expect(problem.detail).toContain('/title missing');
    expect(headers).toEqual({});
  });

  it('tells a disabled server (409) from one that is starting (503, Retry-After) or broken (503)', () => {
    const of = (state?: 'disabled' | 'starting' | 'error') =>
      problemOf(upstreamFailure(entry, new UpstreamUnavailableError('gh', 'down', state), 1000));
    expect(of('disabled').problem).toMatchObject({ status: 409, type: `${P}server-disabled` });
    expect(of('starting')).toMatchObject({
      problem: { status: 503, type: `${P}server-unavailable`, state: 'starting' },
      headers: { 'retry-after': '5' },
    });
    expect(of('error')).toMatchObject({ problem: { status: 503 }, headers: {} });
    const respawning = Object.assign(new Error('restarting'), {
      name: 'ProcessUnavailableError',
      reason: 'restarting',
    });
    expect(problemOf(upstreamFailure(entry, respawning, 1000)).headers).toEqual({
      'retry-after': '5',
    });
  });

  it('answers a timeout with 504, a closed connection and an upstream error with 502', () => {
    const timeout = new McpError(ErrorCode.RequestTimeout, 'Request timed out');
    expect(problemOf(upstreamFailure(entry, timeout, 1500)).problem).toMatchObject({
      status: 504,
      timeout_ms: 1500,
      server: 'gh',
    });
    const closed = new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
    expect(problemOf(upstreamFailure(entry, closed, 1)).problem.status).toBe(502);
    const failed = new McpError(ErrorCode.InternalError, 'boom');
    expect(problemOf(upstreamFailure(entry, failed, 1)).problem).toMatchObject({
      status: 502,
      upstream_code: ErrorCode.InternalError,
    });
  });

  it('answers a quota refusal with 429 and its Retry-After', () => {
    const refusal = new McpError(QUOTA_EXCEEDED, 'Too Many Requests: at once', {
      limit: 'concurrency',
      retry_after_seconds: 1,
    });
    expect(problemOf(refusal)).toEqual({
      problem: {
        type: `${P}quota-exceeded`,
        title: 'Too many requests',
        status: 429,
        detail: 'Too Many Requests: at once',
        limit: 'concurrency',
      },
      headers: { 'retry-after': '1' },
    });
  });

  it("keeps the auth guard's status and WWW-Authenticate, with the OAuth code as `error`", () => {
    const missing = authErrorResponse(new MissingTokenError(), '/meta');
    const scope = authErrorResponse(new InsufficientScopeError('mcp:tools:execute'), '/meta');
    const a = problemOf(new HttpAnswerException(missing));
    expect(a.problem).toMatchObject({
      status: 401,
      type: `${P}unauthorized`,
      error: 'unauthorized',
    });
    expect(a.headers['www-authenticate']).toBe(missing.headers['www-authenticate']);
    const b = problemOf(new HttpAnswerException(scope));
    expect(b.problem).toMatchObject({ status: 403, type: `${P}insufficient-scope` });
    expect(b.headers['www-authenticate']).toMatch(/scope="mcp:tools:execute"/);
  });

  it("answers Nest's and unknown errors without leaking the latter's message", () => {
    expect(problemOf(new NotFoundException('Cannot GET /api/tools/a/b')).problem).toMatchObject({
      type: 'about:blank',
      title: 'Not found',
      status: 404,
    });
    const { problem } = problemOf(new Error('secret internals'));
    expect(problem.status).toBe(500);
    expect(problem.detail).not.toContain('secret');
  });
});
