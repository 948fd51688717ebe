import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { UsageService } from '../usage/usage.service.js';

/** The backend counts client activity per 30 s report (docs/backend-contract.md "Key payloads"). */
export const CLIENT_ACTIVITY_INTERVAL_MS = 30_000;

@Injectable()
export class ClientActivityJob {
  constructor(private readonly usage: UsageService) {}

  // reportActivity() is synchronous (it emits events), so runs cannot overlap.
  @Interval('client-activity', CLIENT_ACTIVITY_INTERVAL_MS)
  everyThirtySeconds(): void {
    this.usage.reportActivity();
  }
}
