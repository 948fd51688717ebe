import { type ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';

/**
 * Errors a client causes before any route runs, as Fastify reports them: a body cut off (the client
 * went away, or took longer than DEPLOYSTACK_HTTP_REQUEST_TIMEOUT_MS), too large, or of a media
 * type nobody parses. They carry their 4xx status. Nest's default filter logs each with its stack
 * at `error` level (and answers an aborted body as 500, to nobody), so any client could fill the
 * error log by dropping connections: these are answered with their own status and logged at
 * `debug`. Everything else goes to Nest's default handling.
 */
@Catch()
export class ClientErrorFilter extends BaseExceptionFilter {
  private readonly log = new Logger('HttpClientError');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const status = clientErrorStatus(exception);
    if (status === undefined) return super.catch(exception, host);
    const message = (exception as Error).message;
    this.log.debug(`${status} ${message}`);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return;
    void reply.code(status).send({ statusCode: status, message });
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
