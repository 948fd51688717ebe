import { describe, expect, it } from '@jest/globals';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { JobsModule } from './jobs.module.js';

const config = (schedulerEnabled: boolean, managed: boolean) =>
  ({ jobs: { schedulerEnabled }, ...(managed ? { backend: {} } : {}) }) as SatelliteConfig;

describe('JobsModule.forRoot', () => {
  it('registers nothing at all when scheduling is off (DEPLOYSTACK_SCHEDULER_ENABLED=false)', () => {
    expect(JobsModule.forRoot(config(false, true))).toEqual({ module: JobsModule });
    expect(JobsModule.forRoot(config(false, false))).toEqual({ module: JobsModule });
  });
});
