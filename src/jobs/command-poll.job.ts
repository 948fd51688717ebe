import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CommandPollerService } from '../backend/command-poller.service.js';
import { MAX_BACKOFF_MS } from '../backend/poll-interval.policy.js';

/**
 * Adaptive command polling: a timeout that reschedules itself with the delay the poller returns
 * (the backend's `next_poll_interval`, or backoff while it fails). Each run schedules the next
 * only when it ends, so runs never overlap. The first run, at start, also connects (registration
 * or credential check, first heartbeat, config fetch).
 */
@Injectable()
export class CommandPollJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  static readonly NAME = 'backend-command-poll';
  private readonly logger = new Logger(CommandPollJob.name);
  private stopped = false;

  constructor(
    private readonly poller: CommandPollerService,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    this.unschedule();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.unschedule();
    const timer = setTimeout(() => void this.run(), delayMs);
    this.scheduler.addTimeout(CommandPollJob.NAME, timer);
  }

  private unschedule(): void {
    if (this.scheduler.doesExist('timeout', CommandPollJob.NAME))
      this.scheduler.deleteTimeout(CommandPollJob.NAME);
  }

  private async run(): Promise<void> {
    // The timer has fired: while this run lasts, nothing is scheduled.
    this.unschedule();
    // pollOnce never throws; the guard is for a bug, so polling can never stop for good.
    let next = MAX_BACKOFF_MS;
    try {
      next = await this.poller.pollOnce();
    } catch (err) {
      this.logger.error(
        `command poll crashed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    this.schedule(next);
  }
}
