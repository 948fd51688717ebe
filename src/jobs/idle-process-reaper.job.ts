import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { SatelliteConfig } from '../config/satellite-config.js';
import { ProcessManagerService } from '../process/process-manager.service.js';

export const IDLE_REAPER_JOB = 'idle-process-reaper';

/**
 * Parks stdio servers idle for `DEPLOYSTACK_PROCESS_IDLE_TIMEOUT_MS` (docs/process.md
 * "Lifecycle"). The process module has its own timer for when nothing schedules it; this job takes
 * over, checking four times per idle period (at most every 30 s, at least every second).
 */
@Injectable()
export class IdleProcessReaperJob implements OnApplicationBootstrap, OnModuleDestroy {
  private running = false;

  constructor(
    private readonly processes: ProcessManagerService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: SatelliteConfig,
  ) {}

  onApplicationBootstrap(): void {
    const idle = this.config.process.idleTimeoutMs;
    if (idle <= 0) return; // parking is off
    this.processes.stopIdleTimer();
    const every = Math.min(30_000, Math.max(1000, Math.floor(idle / 4)));
    const timer = setInterval(() => void this.tick(), every);
    timer.unref();
    this.scheduler.addInterval(IDLE_REAPER_JOB, timer);
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', IDLE_REAPER_JOB))
      this.scheduler.deleteInterval(IDLE_REAPER_JOB);
  }

  /** One pass; a pass still running when the next tick comes makes that tick a no-op. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.processes.reapIdle();
    } finally {
      this.running = false;
    }
  }
}
