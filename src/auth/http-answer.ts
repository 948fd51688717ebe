import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** A complete HTTP answer (status, headers, body) a guard gives instead of running the route. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** Thrown by the client guards; HttpAnswerFilter writes it as is (headers included). */
export class HttpAnswerException extends HttpException {
  constructor(readonly answer: HttpAnswer) {
    super(answer.body as Record<string, unknown>, answer.status);
  }
}

/** Writes an HttpAnswerException: Nest's own filter would drop its headers. */
@Catch(HttpAnswerException)
export class HttpAnswerFilter implements ExceptionFilter<HttpAnswerException> {
  catch(exception: HttpAnswerException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    const { status, headers, body } = exception.answer;
    void reply.code(status).headers(headers).send(body);
  }
}
