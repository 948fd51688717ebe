import { Module } from '@nestjs/common';
import { ProcessModule } from '../process/process.module.js';
import { ConfigFileWatcherService } from './config-file-watcher.service.js';
import { SERVER_CONTROL } from './server-control.js';
import { PersistedCatalogService } from './persisted-catalog.service.js';
import { PoolMetrics } from './pool-metrics.js';
import { ServerControlService } from './server-control.service.js';
import { ServerRegistryService } from './server-registry.service.js';
import { ToolCatalogService } from './tool-catalog.service.js';
import { UpstreamClientFactory } from './upstream-client.factory.js';
import { UpstreamEventsService } from './upstream-events.service.js';
import { UpstreamManagerService } from './upstream-manager.service.js';

@Module({
  imports: [ProcessModule],
  providers: [
    UpstreamEventsService,
    ToolCatalogService,
    UpstreamClientFactory,
    PoolMetrics,
    UpstreamManagerService,
    PersistedCatalogService,
    ServerRegistryService,
    ConfigFileWatcherService,
    ServerControlService,
    { provide: SERVER_CONTROL, useExisting: ServerControlService },
  ],
  exports: [
    SERVER_CONTROL,
    UpstreamEventsService,
    ToolCatalogService,
    UpstreamManagerService,
    PersistedCatalogService,
    ServerRegistryService,
    ConfigFileWatcherService,
  ],
})
export class DiscoveryModule {}
