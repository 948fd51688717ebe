import { Controller, Get, Query, Req, ValidationPipe } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ClientAuth, clientAccessOf } from '../auth/client-auth.guard.js';
import { Clock } from '../events/clock.js';
import { UsageService } from '../usage/usage.service.js';
import { UsageQueryDto, UsageReportDto } from './usage-report.dto.js';

const DAY_MS = 24 * 3_600_000;

@ApiTags('status')
@Controller('api/usage')
export class UsageController {
  constructor(
    private readonly usage: UsageService,
    private readonly clock: Clock,
  ) {}

  // The same rule as /api/status/*: a token with standalone authentication on (docs/security.md).
  @Get()
  @ClientAuth('rest')
  @ApiOperation({
    summary:
      'Usage figures per tool, server, team and MCP client, and the tokens the meta-tools saved (docs/usage.md)',
  })
  @ApiOkResponse({ type: UsageReportDto })
  report(
    @Req() req: FastifyRequest,
    @Query(new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }))
    query: UsageQueryDto,
  ): UsageReportDto {
    const teams = clientAccessOf(req).caller.teams;
    return this.usage.report({
      since: query.since !== undefined ? Date.parse(query.since) : this.clock.now() - DAY_MS,
      ...(query.server !== undefined ? { server: query.server } : {}),
      ...(query.team !== undefined ? { team: query.team } : {}),
      // Only the servers of the caller's teams (all of them without authentication).
      ...(teams !== undefined ? { teams } : {}),
    });
  }
}
