import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { UsageService } from '../usage/usage.service.js';

/** docs/usage.md "Storage": the buffered usage figures go to disk every 10 s. */
export const USAGE_FLUSH_INTERVAL_MS = 10_000;

@Injectable()
export class UsageFlushJob {
  constructor(private readonly usage: UsageService) {}

  // flush() is synchronous (one SQLite transaction), so runs cannot overlap.
  @Interval('usage-flush', USAGE_FLUSH_INTERVAL_MS)
  everyTenSeconds(): void {
    this.usage.flush();
  }
}
