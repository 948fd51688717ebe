import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { TokenIntrospectionService } from '../auth/token-introspection.service.js';
import { Exclusive } from './exclusive.decorator.js';

/** Expired entries are dropped on read anyway; the sweep frees tokens nobody presents again. */
export const INTROSPECTION_SWEEP_INTERVAL_MS = 60_000;

@Injectable()
export class IntrospectionCacheSweepJob {
  constructor(private readonly introspection: TokenIntrospectionService) {}

  @Interval('introspection-cache-sweep', INTROSPECTION_SWEEP_INTERVAL_MS)
  @Exclusive()
  everyMinute(): Promise<void> {
    this.introspection.sweep();
    return Promise.resolve();
  }
}
