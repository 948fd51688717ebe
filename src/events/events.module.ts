import { Global, Module } from '@nestjs/common';
import { EventBusService } from './event-bus.service.js';
import { LogEventSink } from './log-event-sink.service.js';

@Global()
@Module({
  providers: [EventBusService, LogEventSink],
  exports: [EventBusService],
})
export class EventsModule {}
