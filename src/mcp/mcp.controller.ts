import { Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuth } from '../auth/client-auth.guard.js';
import { META_ENDPOINT } from './mcp-endpoint.js';
import { McpQuotaGuard } from './mcp-quota.guard.js';
import { McpTransportService } from './mcp-transport.service.js';
import { ModernEraService } from './modern-era.service.js';

/**
 * `/mcp`: the only route that touches raw Fastify objects, because the SDK transport streams
 * (docs/style.md §2).
 */
@ApiTags('mcp')
@ClientAuth('mcp', McpQuotaGuard)
@Controller('mcp')
export class McpController {
  constructor(
    private readonly transport: McpTransportService,
    private readonly modern: ModernEraService,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'MCP Streamable HTTP: a 2026-07-28 request (stateless), or a 2025-11-25 message (initialize without Mcp-Session-Id)',
  })
  async post(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // The era is chosen per request: the 2026-07-28 envelope is answered statelessly, the rest
    // goes to the session transport (docs/protocol.md "Two protocol eras").
    if (await this.modern.handle(req, reply, META_ENDPOINT)) return;
    return this.transport.handle(req, reply);
  }

  @Get()
  @ApiOperation({
    summary: 'MCP Streamable HTTP: open the server-to-client SSE stream of a session',
  })
  stream(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.transport.handle(req, reply);
  }

  @Delete()
  @ApiExcludeEndpoint(false)
  @ApiOperation({ summary: 'MCP Streamable HTTP: end a session' })
  end(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.transport.handle(req, reply);
  }
}
