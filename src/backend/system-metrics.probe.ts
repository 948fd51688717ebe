import { statfs } from 'node:fs/promises';
import { arch, cpus, freemem, platform, totalmem } from 'node:os';
import { Injectable } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { RegisterRequest, SystemMetrics } from './backend-wire.schema.js';

const MIB = 1024 * 1024;

interface CpuTimes {
  readonly idle: number;
  readonly total: number;
}

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Real figures of the machine the satellite runs on, for the heartbeat: CPU busy share since the
 * previous sample (the first one: since the probe was created), memory in use, the data directory's disk use.
 */
@Injectable()
export class SystemMetricsProbe {
  private last: CpuTimes = cpuTimes();

  constructor(private readonly config: SatelliteConfig) {}

  async sample(): Promise<SystemMetrics> {
    const now = cpuTimes();
    let from = this.last;
    // Too short a window (two heartbeats back to back) says nothing: fall back to since-boot.
    if (now.total - from.total <= 0) from = { idle: 0, total: 0 };
    this.last = now;
    const busy = 1 - (now.idle - from.idle) / (now.total - from.total || 1);
    return {
      cpu_usage_percent: round1(Math.min(100, Math.max(0, busy * 100))),
      memory_usage_mb: Math.round((totalmem() - freemem()) / MIB),
      disk_usage_percent: await this.diskUsagePercent(),
      uptime_seconds: Math.round(process.uptime()),
    };
  }

  systemInfo(): RegisterRequest['system_info'] {
    return {
      os: platform(),
      arch: arch(),
      node_version: process.version,
      memory_mb: Math.round(totalmem() / MIB),
    };
  }

  private async diskUsagePercent(): Promise<number> {
    try {
      const fs = await statfs(this.config.dataDir).catch(() => statfs('/'));
      // As df computes it: used / (used + available to unprivileged users).
      const used = fs.blocks - fs.bfree;
      return used + fs.bavail === 0 ? 0 : round1((used / (used + fs.bavail)) * 100);
    } catch {
      return 0;
    }
  }
}
