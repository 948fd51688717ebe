import { Controller, Delete, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientAuth } from '../auth/client-auth.guard.js';
import { McpQuotaGuard } from './mcp-quota.guard.js';
import { McpTransportService } from './mcp-transport.service.js';
import { ModernEraService } from './modern-era.service.js';

/** `/i/{server_slug}/mcp`: the same transport, bound to one upstream server, passing everything through. */
@ApiTags('mcp')
@ApiParam({ name: 'slug', description: 'server slug from the config' })
@ClientAuth('mcp', McpQuotaGuard)
@Controller('i/:slug/mcp')
export class DirectMcpController {
  constructor(
    private readonly transport: McpTransportService,
    private readonly modern: ModernEraService,
  ) {}

  @Post()
  @ApiOperation({
    summary: "One server's raw MCP (tools, resources, prompts, …) over Streamable HTTP",
  })
  async post(
    @Param('slug') slug: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // 2026-07-28 requests statelessly, the rest through sessions (docs/protocol.md "Two protocol eras").
    if (await this.modern.handle(req, reply, { kind: 'direct', slug })) return;
    return this.transport.handle(req, reply, { kind: 'direct', slug });
  }

  @Get()
  @ApiOperation({ summary: 'Open the server-to-client SSE stream of a direct session' })
  stream(
    @Param('slug') slug: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.transport.handle(req, reply, { kind: 'direct', slug });
  }

  @Delete()
  @ApiOperation({ summary: 'End a direct session' })
  end(
    @Param('slug') slug: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.transport.handle(req, reply, { kind: 'direct', slug });
  }
}
