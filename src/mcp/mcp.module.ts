import { type DynamicModule, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { RouterModule } from '../router/router.module.js';
import { StatusContributors } from '../status/status-contributors.service.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { McpTransportService } from './mcp-transport.service.js';
import { DirectMcpController } from './direct-mcp.controller.js';
import { LegacySseController } from './legacy-sse.controller.js';
import { LegacySseService } from './legacy-sse.service.js';
import { McpController } from './mcp.controller.js';
import { ModernEraService } from './modern-era.service.js';
import { OriginPolicyService } from './origin-policy.service.js';
import { SessionIdCodec } from './session-id.codec.js';
import { SessionRegistryService } from './session-registry.service.js';

@Module({
  imports: [RouterModule, TasksModule],
  controllers: [McpController, DirectMcpController, LegacySseController],
  providers: [
    SessionIdCodec,
    SessionRegistryService,
    OriginPolicyService,
    McpTransportService,
    ModernEraService,
    LegacySseService,
  ],
  exports: [SessionRegistryService, McpTransportService],
})
export class McpModule implements OnApplicationBootstrap {
  constructor(
    private readonly sessions: SessionRegistryService,
    private readonly status: StatusContributors,
  ) {}

  /**
   * Every MCP route is behind ClientAuthGuard (the global ClientAuthModule decides how clients
   * authenticate in each mode).
   */
  static forRoot(_config: SatelliteConfig): DynamicModule {
    return { module: McpModule };
  }

  onApplicationBootstrap(): void {
    this.status.register('sessions', () => this.sessions.stats());
    this.sessions.startSweeping();
  }
}
