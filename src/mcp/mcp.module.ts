import { Module, type OnApplicationBootstrap } from '@nestjs/common';
import { RouterModule } from '../router/router.module.js';
import { StatusContributors } from '../status/status-contributors.service.js';
import { Clock } from './clock.js';
import { McpTransportService } from './mcp-transport.service.js';
import { DirectMcpController } from './direct-mcp.controller.js';
import { LegacySseController } from './legacy-sse.controller.js';
import { LegacySseService } from './legacy-sse.service.js';
import { McpController } from './mcp.controller.js';
import { OriginPolicyService } from './origin-policy.service.js';
import { SessionRegistryService } from './session-registry.service.js';

@Module({
  imports: [RouterModule],
  controllers: [McpController, DirectMcpController, LegacySseController],
  providers: [
    Clock,
    SessionRegistryService,
    OriginPolicyService,
    McpTransportService,
    LegacySseService,
  ],
  exports: [SessionRegistryService, McpTransportService],
})
export class McpModule implements OnApplicationBootstrap {
  constructor(
    private readonly sessions: SessionRegistryService,
    private readonly status: StatusContributors,
  ) {}

  onApplicationBootstrap(): void {
    this.status.register('sessions', () => this.sessions.stats());
    this.sessions.startSweeping();
  }
}
