import { Module } from '@nestjs/common';
import { ProcessModule } from '../process/process.module.js';
import { ConfigFileWatcherService } from './config-file-watcher.service.js';
import { ServerRegistryService } from './server-registry.service.js';
import { ToolCatalogService } from './tool-catalog.service.js';
import { UpstreamClientFactory } from './upstream-client.factory.js';
import { UpstreamManagerService } from './upstream-manager.service.js';

@Module({
  imports: [ProcessModule],
  providers: [ToolCatalogService, UpstreamClientFactory, UpstreamManagerService, ServerRegistryService, ConfigFileWatcherService],
  exports: [ToolCatalogService, UpstreamManagerService, ServerRegistryService, ConfigFileWatcherService],
})
export class DiscoveryModule {}
