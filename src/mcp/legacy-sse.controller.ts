import { Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuth } from '../auth/client-auth.guard.js';
import { McpQuotaGuard } from './mcp-quota.guard.js';
import { LegacySseService } from './legacy-sse.service.js';

@ApiTags('mcp')
@ClientAuth('mcp', McpQuotaGuard)
@Controller()
export class LegacySseController {
  constructor(private readonly sse: LegacySseService) {}

  @Get('sse')
  @ApiOperation({ summary: 'Legacy HTTP+SSE transport: open the stream (first event: endpoint)' })
  open(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.sse.open(req, reply);
  }

  @Post('message')
  @ApiQuery({ name: 'sessionId', required: true })
  @ApiOperation({ summary: 'Legacy HTTP+SSE transport: send a JSON-RPC message' })
  message(
    @Query('sessionId') sessionId: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.sse.message(req, reply, sessionId);
  }
}
