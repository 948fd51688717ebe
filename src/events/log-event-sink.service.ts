import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EventBusService } from './event-bus.service.js';

/** Standalone mode's sink: every event becomes one structured log line. */
@Injectable()
export class LogEventSink implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Events');
  private unsubscribe?: () => void;

  constructor(private readonly bus: EventBusService) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe((event) => {
      const level =
        event.type.endsWith('crashed') ||
        event.type.endsWith('failed') ||
        event.type === 'config.error' ||
        event.type === 'mcp.tools.changed'
          ? 'warn'
          : 'debug';
      this.logger[level]({ event: event.type, data: event.data }, event.type);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}
