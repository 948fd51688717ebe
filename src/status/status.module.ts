import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { Clock } from '../events/clock.js';
import { ProcessModule } from '../process/process.module.js';
import { BackendStatusService } from './backend-status.service.js';
import { RecentErrorsService } from './recent-errors.service.js';
import { StatusContributors } from './status-contributors.service.js';
import { MetricsController } from './metrics.controller.js';
import { StatusMetricsService } from './status-metrics.service.js';
import { StatusController } from './status.controller.js';
import { StatusService } from './status.service.js';
import { UsageController } from './usage.controller.js';

@Global()
@Module({
  imports: [DiscoveryModule, ProcessModule],
  controllers: [StatusController, MetricsController, UsageController],
  providers: [
    StatusService,
    BackendStatusService,
    StatusContributors,
    StatusMetricsService,
    RecentErrorsService,
    Clock,
  ],
  exports: [StatusContributors],
})
export class StatusModule {}
