import { type ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRestToolsUrl } from './rest/rest-tools.routes.js';
import { PROBLEM_MEDIA_TYPE, problemOf } from './rest/tool-problems.js';

/**
 * Errors a client causes before any route runs, as Fastify reports them: a body cut off (the client
 * went away, or took longer than DEPLOYSTACK_HTTP_REQUEST_TIMEOUT_MS), too large, or of a media
 * type nobody parses. They carry their 4xx status. Nest's default filter logs each with its stack
 * at `error` level (and answers an aborted body as 500, to nobody), so any client could fill the
 * error log by dropping connections: these are answered with their own status and logged at
 * `debug`. Everything else goes to Nest's default handling.
 *
 * The REST tool routes (`/api/tools…`, docs/rest.md) answer every error, their guards' refusals
 * included, as an RFC 9457 problem (`application/problem+json`) with its headers kept
 * (`WWW-Authenticate`, `Retry-After`): src/rest/tool-problems.ts maps them.
 */
@Catch()
export class ClientErrorFilter extends BaseExceptionFilter {
  private readonly log = new Logger('HttpClientError');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    if (isRestToolsUrl(http.getRequest<FastifyRequest | undefined>()?.url))
      return this.problem(exception, http.getResponse<FastifyReply>());
    const status = clientErrorStatus(exception);
    if (status === undefined) return super.catch(exception, host);
    const message = (exception as Error).message;
    this.log.debug(`${status} ${message}`);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return;
    void reply.code(status).send({ statusCode: status, message });
  }

  private problem(exception: unknown, reply: FastifyReply): void {
    const { problem, headers } = problemOf(exception);
    if (problem.status === 500)
      this.log.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : exception,
      );
    else this.log.debug(`${problem.status} ${problem.detail}`);
    if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return;
    void reply
      .code(problem.status)
      .headers({ ...headers, 'content-type': PROBLEM_MEDIA_TYPE })
      .send(JSON.stringify(problem));
  }
}

/** The 4xx status of an error that is not an HttpException (Fastify's, Node's), if it has one. */
export function clientErrorStatus(exception: unknown): number | undefined {
  if (!(exception instanceof Error) || exception instanceof HttpException) return undefined;
  const status = (exception as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500
    ? status
    : undefined;
}
