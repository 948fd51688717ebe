import {
  Controller,
  ForbiddenException,
  Get,
  Header,
  Req,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ClientAuth, clientAccessOf } from '../auth/client-auth.guard.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { BackendStatusService } from './backend-status.service.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './status-page.js';
import { StatusService } from './status.service.js';

@ApiTags('status')
@Controller()
export class StatusController {
  constructor(
    private readonly status: StatusService,
    private readonly config: SatelliteConfig,
    private readonly backend: BackendStatusService,
  ) {}

  // With standalone authentication on, the status routes need a token like /mcp; the probes never do.
  @Get()
  @ClientAuth('rest')
  @ApiOperation({ summary: 'Service status: version, uptime, servers, sessions' })
  root() {
    return this.status.summary();
  }

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers (never depends on upstreams)' })
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({
    summary: 'Readiness: configuration applied and not shutting down (503 otherwise)',
  })
  ready() {
    const r = this.status.ready();
    if (!r.ready) throw new ServiceUnavailableException({ status: 'not_ready', reason: r.reason });
    return { status: 'ready' };
  }

  @Get('api/status/backend')
  @ClientAuth('rest')
  @ApiOperation({
    summary:
      'Control-plane connection: mode, reachability, last heartbeat and poll, backoff, event queue',
  })
  backendStatus() {
    return this.backend.report();
  }

  @Get('api/status/debug')
  @ClientAuth('rest')
  @ApiOperation({
    summary:
      'Servers and tools by team and transport (needs DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE=true)',
  })
  debug(@Req() req: FastifyRequest) {
    this.requireDebugRoute();
    // Only the servers of the caller's teams (all of them without authentication).
    return this.status.debug(clientAccessOf(req).caller);
  }

  // The page itself carries no data, so a plain page load needs no token (a browser cannot send a
  // bearer token with one): its script fetches the debug route with the token the user types in,
  // which the page keeps in sessionStorage (docs/operations.md "Status page").
  @Get('status')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', STATUS_PAGE_CSP)
  @Header('cache-control', 'no-store')
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  @ApiProduces('text/html')
  @ApiOperation({
    summary:
      'Status page: servers, processes, sessions, usage, recent errors, refreshing itself (needs DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE=true)',
  })
  page(): string {
    this.requireDebugRoute();
    return STATUS_PAGE_HTML;
  }

  private requireDebugRoute(): void {
    if (!this.config.status.showDebugRoute) {
      throw new ForbiddenException(
        'the debug route is disabled; set DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE=true to enable it',
      );
    }
  }
}
