import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../events/clock.js';
import { BackendApiClient } from './backend-api.client.js';
import {
  ApiKeyRejectedError,
  BackendUnavailableError,
  SatelliteNotFoundError,
} from './backend.errors.js';
import { BackendConnectionService } from './backend-connection.service.js';
import { CommandDispatcher } from './command-dispatcher.service.js';
import { ConfigSyncService } from './config-sync.service.js';
import { delayAfterFailure, delayAfterSuccess } from './poll-interval.policy.js';

/** Commands per poll (docs/backend-contract.md "Commands": `limit=10`). */
export const POLL_PAGE = 10;

export interface PollerStatus {
  readonly consecutiveFailures: number;
  readonly lastPollAt?: string;
  readonly nextDelayMs?: number;
  readonly lastError?: string;
}

/**
 * One poll cycle: make sure the satellite is connected, retry unsent results and a failed config
 * sync, fetch commands, run them. Returns the wait before the next cycle, which the jobs module
 * schedules: the backend's interval when it answers, exponential backoff (to 5 minutes) while it
 * fails, and straight back to the backend's interval once it answers again.
 */
@Injectable()
export class CommandPollerService {
  private readonly logger = new Logger(CommandPollerService.name);
  private failures = 0;
  private lastPollIso?: string;
  private nextDelayMs?: number;
  private lastError?: string;

  constructor(
    private readonly api: BackendApiClient,
    private readonly connection: BackendConnectionService,
    private readonly dispatcher: CommandDispatcher,
    private readonly configSync: ConfigSyncService,
    private readonly clock: Clock,
  ) {}

  /** Never throws; returns the delay before the next poll in milliseconds. */
  async pollOnce(): Promise<number> {
    if (!this.connection.isConnected() && !(await this.connection.connect())) {
      return this.failed(this.connection.status().lastError ?? 'not connected to the backend');
    }
    let response;
    try {
      await this.dispatcher.retryUnreported();
      await this.configSync.syncIfPending();
      const startedAt = this.clock.now();
      const answer = await this.api.pollCommands({
        ...(this.lastPollIso ? { lastPoll: this.lastPollIso } : {}),
        limit: POLL_PAGE,
      });
      if (answer.skipped > 0)
        this.logger.warn(`${answer.skipped} malformed command(s) in the poll answer were skipped`);
      this.lastPollIso = new Date(startedAt).toISOString();
      response = answer.response;
    } catch (err) {
      if (err instanceof ApiKeyRejectedError || err instanceof SatelliteNotFoundError)
        this.connection.credentialsLost(err);
      const retryAfter = err instanceof BackendUnavailableError ? err.retryAfterMs : undefined;
      return this.failed(`command poll failed: ${(err as Error).message}`, retryAfter);
    }
    if (this.failures > 0)
      this.logger.log(`command polling recovered after ${this.failures} failed attempt(s)`);
    this.failures = 0;
    this.lastError = undefined;
    if (response.commands.length > 0) await this.dispatcher.dispatch(response.commands);
    this.nextDelayMs = delayAfterSuccess(response, POLL_PAGE);
    return this.nextDelayMs;
  }

  status(): PollerStatus {
    return {
      consecutiveFailures: this.failures,
      ...(this.lastPollIso ? { lastPollAt: this.lastPollIso } : {}),
      ...(this.nextDelayMs !== undefined ? { nextDelayMs: this.nextDelayMs } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private failed(message: string, retryAfterMs?: number): number {
    this.failures++;
    this.nextDelayMs = delayAfterFailure(this.failures, retryAfterMs);
    const line = `${message}; next poll in ${Math.round(this.nextDelayMs / 1000)} s`;
    if (this.failures === 1 || message !== this.lastError) this.logger.warn(line);
    else this.logger.debug(line);
    this.lastError = message;
    return this.nextDelayMs;
  }
}
