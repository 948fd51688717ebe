import { join } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { Clock } from '../events/clock.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { UsageMetrics } from './usage.metrics.js';
import { USAGE_STORE, UsageService } from './usage.service.js';
import { UsageStore } from './usage.store.js';

/** The usage store inside the data directory (locked by DataDirLock before any module opens it). */
export const USAGE_FILE = 'usage.sqlite';

/**
 * Usage figures per tool, server, team and client, and the tokens the meta-tools saved
 * (docs/usage.md). Global: the router records every call, status answers `GET /api/usage`, jobs
 * flush it. It imports only config, events and metrics (docs/architecture.md "Dependencies").
 */
@Global()
@Module({
  // Global already; imported so that an app or test that assembles modules by hand gets it too.
  imports: [MetricsModule],
  providers: [
    Clock,
    UsageMetrics,
    {
      provide: USAGE_STORE,
      useFactory: (config: SatelliteConfig) =>
        UsageStore.open({ path: join(config.dataDir, USAGE_FILE) }),
      inject: [SatelliteConfig],
    },
    UsageService,
  ],
  exports: [UsageService],
})
export class UsageModule {}
