import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { DiscoverService } from './discover.service.js';
import { MetaToolServerFactory } from './meta-tool-server.factory.js';
import { ToolExecutorService } from './tool-executor.service.js';
import { ToolSearchService } from './tool-search.service.js';

@Module({
  imports: [DiscoveryModule],
  providers: [ToolSearchService, DiscoverService, ToolExecutorService, MetaToolServerFactory],
  exports: [MetaToolServerFactory, ToolSearchService],
})
export class RouterModule {}
