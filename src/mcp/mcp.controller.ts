import { Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuth } from '../auth/client-auth.guard.js';
import { McpQuotaGuard } from './mcp-quota.guard.js';
import { McpTransportService } from './mcp-transport.service.js';

/**
 * `/mcp`: the only route that touches raw Fastify objects, because the SDK transport streams
 * (docs/style.md §2).
 */
@ApiTags('mcp')
@ClientAuth('mcp', McpQuotaGuard)
@Controller('mcp')
export class McpController {
  constructor(private readonly transport: McpTransportService) {}

  @Post()
  @ApiOperation({
    summary: 'MCP Streamable HTTP: send JSON-RPC messages (initialize without Mcp-Session-Id)',
  })
  post(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
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
