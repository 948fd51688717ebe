import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { CallContextRegistry } from './call-context.registry.js';
import { DirectServerFactory } from './direct-server.factory.js';
import { DiscoverService } from './discover.service.js';
import { InputBridgeService } from './input-bridge.service.js';
import { MetaToolServerFactory } from './meta-tool-server.factory.js';
import { ModernServerFactory } from './modern-server.factory.js';
import { ToolExecutorService } from './tool-executor.service.js';
import { ToolCallAuditService } from './tool-call-audit.service.js';
import { ToolSearchService } from './tool-search.service.js';
import { UpstreamRelayService } from './upstream-relay.service.js';

@Module({
  imports: [DiscoveryModule],
  providers: [
    ToolSearchService,
    DiscoverService,
    ToolExecutorService,
    MetaToolServerFactory,
    CallContextRegistry,
    UpstreamRelayService,
    DirectServerFactory,
    ToolCallAuditService,
    InputBridgeService,
    ModernServerFactory,
  ],
  exports: [
    MetaToolServerFactory,
    // 2026-07-28 requests on /mcp and direct endpoints (src/mcp/modern-era.service.ts)
    ModernServerFactory,
    DirectServerFactory,
    ToolSearchService,
    // the REST tool routes (src/rest/): the same search and the same call path
    DiscoverService,
    ToolExecutorService,
  ],
})
export class RouterModule {}
