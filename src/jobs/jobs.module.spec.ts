import { describe, expect, it } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { ClientActivityJob } from './client-activity.job.js';
import { CommandPollJob } from './command-poll.job.js';
import { EventFlushJob } from './event-flush.job.js';
import { HeartbeatJob } from './heartbeat.job.js';
import { IdleProcessReaperJob } from './idle-process-reaper.job.js';
import { IntrospectionCacheSweepJob } from './introspection-cache-sweep.job.js';
import { JobsModule } from './jobs.module.js';
import { UsageFlushJob } from './usage-flush.job.js';
import { ToolsRecheckJob } from './tools-recheck.job.js';

const config = (schedulerEnabled: boolean, managed: boolean) =>
  ({ jobs: { schedulerEnabled }, ...(managed ? { backend: {} } : {}) }) as SatelliteConfig;
const providers = (c: SatelliteConfig): Provider[] => JobsModule.forRoot(c).providers ?? [];

describe('JobsModule.forRoot', () => {
  it('registers nothing at all when scheduling is off', () => {
    expect(JobsModule.forRoot(config(false, true))).toEqual({ module: JobsModule });
  });

  it('schedules the managed-mode jobs only in managed mode', () => {
    expect(providers(config(true, true))).toEqual([
      IdleProcessReaperJob,
      UsageFlushJob,
      ToolsRecheckJob,
      HeartbeatJob,
      CommandPollJob,
      EventFlushJob,
      IntrospectionCacheSweepJob,
      ClientActivityJob,
    ]);
    expect(providers(config(true, false))).toEqual([
      IdleProcessReaperJob,
      UsageFlushJob,
      ToolsRecheckJob,
    ]);
  });
});
