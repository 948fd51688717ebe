import { type DynamicModule, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { RouterModule } from '../router/router.module.js';
import { StatusContributors } from '../status/status-contributors.service.js';
import { ClientAccessService } from './client-access.service.js';
import { Clock } from './clock.js';
import { McpTransportService } from './mcp-transport.service.js';
import { DirectMcpController } from './direct-mcp.controller.js';
import { LegacySseController } from './legacy-sse.controller.js';
import { LegacySseService } from './legacy-sse.service.js';
import { McpController } from './mcp.controller.js';
import { OriginPolicyService } from './origin-policy.service.js';
import { SessionIdCodec } from './session-id.codec.js';
import { SessionRegistryService } from './session-registry.service.js';

@Module({
  imports: [RouterModule],
  controllers: [McpController, DirectMcpController, LegacySseController],
  providers: [
    Clock,
    ClientAccessService,
    SessionIdCodec,
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

  /**
   * Managed mode puts the OAuth resource server in front of every MCP route (the auth module
   * needs the global backend module, so it is imported only then).
   */
  static forRoot(config: SatelliteConfig): DynamicModule {
    return { module: McpModule, imports: config.backend ? [AuthModule] : [] };
  }

  onApplicationBootstrap(): void {
    this.status.register('sessions', () => this.sessions.stats());
    this.sessions.startSweeping();
  }
}
