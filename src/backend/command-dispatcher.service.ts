import { Injectable, Logger } from '@nestjs/common';
import { untilAborted } from '../events/abort.js';
import { SecretRedactor } from '../config/secret-redactor.js';
import { Clock } from '../events/clock.js';
import { BackendApiClient } from './backend-api.client.js';
import { BackendRequestRejectedError } from './backend.errors.js';
import type { BackendCommand, CommandResultRequest } from './backend-wire.schema.js';
import { CommandHandlerRegistry } from './command-handler.registry.js';
import { type CommandOutcome, CommandLedger, type LedgerEntry } from './command-ledger.js';
import { byPriority } from './poll-interval.policy.js';

/**
 * docs/backend-contract.md "Commands": older than 5 minutes (local receipt or `expires_at`) →
 * failed.
 */
export const COMMAND_TTL_MS = 5 * 60_000;
/** A handler that hangs must not stop polling for ever. */
export const COMMAND_TIMEOUT_MS = 120_000;

/**
 * Runs the commands of one poll in priority order, one at a time, each at most once per id,
 * and posts exactly one result per command (`error_message` on failure). A result post that
 * fails is retried before the next poll and when the backend redelivers the command.
 */
@Injectable()
export class CommandDispatcher {
  private readonly logger = new Logger(CommandDispatcher.name);

  constructor(
    private readonly handlers: CommandHandlerRegistry,
    private readonly ledger: CommandLedger,
    private readonly api: BackendApiClient,
    private readonly clock: Clock,
    private readonly redactor: SecretRedactor,
  ) {}

  async dispatch(commands: readonly BackendCommand[]): Promise<void> {
    // Receipt is recorded for the whole page first: a command waiting behind slow ones ages.
    const received = commands.map((command) => ({
      command,
      ...this.ledger.receive(command.id, command.command_type, this.clock.now()),
    }));
    received.sort((a, b) => byPriority(a.command.priority, b.command.priority));
    for (const { command, entry, firstSight } of received) {
      if (firstSight) {
        this.ledger.finish(entry, await this.run(command, entry));
        await this.report(entry);
      } else if (entry.state === 'running') {
        this.logger.debug(`command ${command.id} delivered again while it runs; ignored`);
      } else if (!entry.reported) {
        await this.report(entry);
      } else {
        this.logger.debug(
          `command ${command.id} delivered again; it ran and its result was reported, not run again`,
        );
      }
    }
  }

  /** Results whose post failed earlier; the poller calls this before each poll. */
  async retryUnreported(): Promise<void> {
    for (const entry of this.ledger.unreported()) await this.report(entry);
  }

  private async run(command: BackendCommand, entry: LedgerEntry): Promise<CommandOutcome> {
    const label = `command ${command.id} (${command.command_type}, ${command.priority}${command.correlation_id ? `, correlation ${command.correlation_id}` : ''})`;
    const expiry = this.expiryReason(command, entry);
    if (expiry) {
      this.logger.warn(`${label} expired: ${expiry}`);
      return { status: 'failed', error_message: `command expired: ${expiry}` };
    }
    const handler = this.handlers.get(command.command_type);
    if (!handler) {
      const message = `unknown command type "${command.command_type}"; this satellite handles: ${this.handlers.types().join(', ')}`;
      this.logger.warn(`${label}: ${message}`);
      return { status: 'failed', error_message: message };
    }
    const started = this.clock.now();
    try {
      const signal = this.clock.timeout(COMMAND_TIMEOUT_MS, 'the command');
      const result = await untilAborted(signal, handler.handle(command, signal));
      this.logger.log(`${label} completed in ${this.clock.now() - started} ms`);
      return { status: 'completed', result };
    } catch (err) {
      const message =
        this.redactor.redact(err instanceof Error ? err.message : String(err)) ||
        'the handler failed without a message';
      this.logger.warn(`${label} failed: ${message}`);
      return { status: 'failed', error_message: message };
    }
  }

  private expiryReason(command: BackendCommand, entry: LedgerEntry): string | undefined {
    const now = this.clock.now();
    if (command.expires_at) {
      const at = Date.parse(command.expires_at);
      if (!Number.isNaN(at) && at <= now) return `expires_at ${command.expires_at} has passed`;
    }
    const age = now - entry.receivedAt;
    if (age > COMMAND_TTL_MS)
      return `received ${Math.round(age / 1000)} s ago, more than ${COMMAND_TTL_MS / 60_000} minutes`;
    return undefined;
  }

  private async report(entry: LedgerEntry): Promise<void> {
    const outcome = entry.outcome;
    if (!outcome) return;
    const body: CommandResultRequest =
      outcome.status === 'completed'
        ? { command_id: entry.id, status: 'completed', result: outcome.result }
        : {
            command_id: entry.id,
            status: 'failed',
            error_message: outcome.error_message,
            ...(outcome.result ? { result: outcome.result } : {}),
          };
    try {
      await this.api.postCommandResult(body);
      this.ledger.markReported(entry);
    } catch (err) {
      if (err instanceof BackendRequestRejectedError) {
        // The backend will not take this result however often it is sent.
        this.ledger.markReported(entry);
        this.logger.error(`the backend refused the result of command ${entry.id}: ${err.message}`);
        return;
      }
      this.logger.warn(
        `posting the result of command ${entry.id} failed; retrying later: ${(err as Error).message}`,
      );
    }
  }
}
