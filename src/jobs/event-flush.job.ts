import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { EventShipperService } from '../events/event-shipper.service.js';
import { Exclusive } from './exclusive.decorator.js';

/** docs/backend-contract.md "Events": events are shipped in batches every 3 s. */
export const EVENT_FLUSH_INTERVAL_MS = 3_000;

@Injectable()
export class EventFlushJob {
  constructor(private readonly shipper: EventShipperService) {}

  @Interval('event-flush', EVENT_FLUSH_INTERVAL_MS)
  @Exclusive()
  async everyThreeSeconds(): Promise<void> {
    await this.shipper.flush();
  }
}
