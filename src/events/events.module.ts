import { type DynamicModule, Module } from '@nestjs/common';
import { Clock } from './clock.js';
import { EventBusService } from './event-bus.service.js';
import { InFlightRequests } from './in-flight-requests.js';
import { LogEventSink } from './log-event-sink.service.js';

/** The event bus, the one `Clock` every module injects, and the in-flight request count (global). */
@Module({})
export class EventsModule {
  /** `clock`: the wall clock, or a test's `ManualClock` (test/support/manual-clock.ts). */
  static forRoot(clock: Clock = new Clock()): DynamicModule {
    return {
      global: true,
      module: EventsModule,
      providers: [
        EventBusService,
        LogEventSink,
        InFlightRequests,
        { provide: Clock, useValue: clock },
      ],
      exports: [EventBusService, InFlightRequests, Clock],
    };
  }
}
