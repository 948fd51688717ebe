import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { clientErrorStatus } from './client-error.filter.js';

describe('clientErrorStatus', () => {
  it('takes the 4xx of errors Fastify and Node report for what a client did', () => {
    // A body cut off mid-way: Node's "aborted", which Fastify tags with 400.
    expect(clientErrorStatus(Object.assign(new Error('aborted'), { statusCode: 400 }))).toBe(400);
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    expect(clientErrorStatus(tooLarge)).toBe(413);
  });

  it('leaves server errors, HttpExceptions and anything else to Nest', () => {
    expect(
      clientErrorStatus(Object.assign(new Error('boom'), { statusCode: 500 })),
    ).toBeUndefined();
    expect(clientErrorStatus(new Error('no status'))).toBeUndefined();
    expect(clientErrorStatus(new BadRequestException('nest'))).toBeUndefined();
    expect(clientErrorStatus({ statusCode: 400, message: 'not an Error' })).toBeUndefined();
    expect(
      clientErrorStatus(Object.assign(new Error('odd'), { statusCode: '400' })),
    ).toBeUndefined();
  });
});
