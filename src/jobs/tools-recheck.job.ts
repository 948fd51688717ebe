import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { SatelliteConfig } from '../config/satellite-config.js';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';

export const TOOLS_RECHECK_JOB = 'tools-recheck';

/**
 * Lists the tools of online servers again every `DEPLOYSTACK_TOOLS_RECHECK_INTERVAL_MS`, for
 * servers that change their tools without sending `notifications/tools/list_changed`
 * (docs/operations.md "Live tool refresh"). Stdio servers only with `DEPLOYSTACK_TOOLS_RECHECK_STDIO`.
 */
@Injectable()
export class ToolsRecheckJob implements OnApplicationBootstrap, OnModuleDestroy {
  private running = false;

  constructor(
    private readonly upstreams: UpstreamManagerService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: SatelliteConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.catalog.recheckIntervalMs;
    if (every <= 0) return; // the re-check is off
    const timer = setInterval(() => void this.tick(), every);
    timer.unref();
    this.scheduler.addInterval(TOOLS_RECHECK_JOB, timer);
  }

  onModuleDestroy(): void {
    if (this.scheduler.doesExist('interval', TOOLS_RECHECK_JOB))
      this.scheduler.deleteInterval(TOOLS_RECHECK_JOB);
  }

  /** One pass; a pass still running when the next tick comes makes that tick a no-op. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.upstreams.recheck();
    } finally {
      this.running = false;
    }
  }
}
