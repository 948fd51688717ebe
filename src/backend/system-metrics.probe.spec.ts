import { describe, expect, it } from '@jest/globals';
import { SatelliteConfig } from '../config/satellite-config.js';
import { SystemMetricsProbe } from './system-metrics.probe.js';

describe('SystemMetricsProbe', () => {
  it('reports real, plausible figures of this machine', async () => {
    const probe = new SystemMetricsProbe(
      SatelliteConfig.of({ dataDir: process.cwd() } as SatelliteConfig),
    );
    // Burn a little CPU so the window since construction is not empty.
    const until = Date.now() + 30;
    while (Date.now() < until) Math.sqrt(Math.random());
    const m = await probe.sample();
    expect(m.cpu_usage_percent).toBeGreaterThan(0);
    expect(m.cpu_usage_percent).toBeLessThanOrEqual(100);
    expect(m.memory_usage_mb).toBeGreaterThan(0);
    expect(m.disk_usage_percent).toBeGreaterThan(0);
    expect(m.disk_usage_percent).toBeLessThanOrEqual(100);
    expect(m.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(probe.systemInfo()).toEqual({
      os: process.platform,
      arch: process.arch,
      node_version: process.version,
      memory_mb: expect.any(Number),
    });
  });
});
