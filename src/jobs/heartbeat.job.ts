import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { BackendConnectionService } from '../backend/backend-connection.service.js';
import { Exclusive } from './exclusive.decorator.js';

/**
 * docs/backend-contract.md "Heartbeat": every 30 s (the first one is part of connecting, at start).
 */
export const HEARTBEAT_INTERVAL_MS = 30_000;

@Injectable()
export class HeartbeatJob {
  constructor(private readonly connection: BackendConnectionService) {}

  @Interval('backend-heartbeat', HEARTBEAT_INTERVAL_MS)
  @Exclusive()
  async everyThirtySeconds(): Promise<void> {
    await this.connection.heartbeat();
  }
}
