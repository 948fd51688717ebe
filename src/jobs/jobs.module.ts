import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from '../auth/auth.module.js';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { ProcessModule } from '../process/process.module.js';
import { UsageModule } from '../usage/usage.module.js';
import { ClientActivityJob } from './client-activity.job.js';
import { CommandPollJob } from './command-poll.job.js';
import { EventFlushJob } from './event-flush.job.js';
import { HeartbeatJob } from './heartbeat.job.js';
import { IdleProcessReaperJob } from './idle-process-reaper.job.js';
import { IntrospectionCacheSweepJob } from './introspection-cache-sweep.job.js';
import { UsageFlushJob } from './usage-flush.job.js';
import { ToolsRecheckJob } from './tools-recheck.job.js';

/**
 * Jobs of every mode. The session sweep stays in the mcp module (SessionRegistryService): no module
 * may import mcp (docs/architecture.md "Dependencies"), so it keeps its own unref'd timer.
 */
const JOBS: Provider[] = [IdleProcessReaperJob, UsageFlushJob, ToolsRecheckJob];
/** Jobs of managed mode: they drive services of the (global) BackendModule and of AuthModule. */
const MANAGED_JOBS: Provider[] = [
  HeartbeatJob,
  CommandPollJob,
  EventFlushJob,
  IntrospectionCacheSweepJob,
  ClientActivityJob,
];

/**
 * Every recurring task, each a small provider that only calls a service (docs/style.md §6).
 * Adding one: a `<name>.job.ts` beside these and one entry in a list above.
 * `DEPLOYSTACK_SCHEDULER_ENABLED=false` registers none of them: tests drive the services by hand.
 */
@Module({})
export class JobsModule {
  static forRoot(config: SatelliteConfig): DynamicModule {
    if (!config.jobs.schedulerEnabled) return { module: JobsModule };
    const managed = config.backend !== undefined;
    return {
      module: JobsModule,
      imports: [
        ScheduleModule.forRoot(),
        ProcessModule,
        UsageModule,
        DiscoveryModule,
        ...(managed ? [AuthModule] : []),
      ],
      providers: [...JOBS, ...(managed ? MANAGED_JOBS : [])],
    };
  }
}
