import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { ManualClock } from '../../test/support/manual-clock.js';
import { SecretRedactor } from '../config/secret-redactor.js';
import type { BackendApiClient } from './backend-api.client.js';
import type { BackendCommand, CommandResultRequest } from './backend-wire.schema.js';
import { COMMAND_TIMEOUT_MS, CommandDispatcher } from './command-dispatcher.service.js';
import type { CommandHandler } from './command-handler.js';
import { CommandHandlerRegistry } from './command-handler.registry.js';
import { CommandLedger } from './command-ledger.js';

/** A handler that works until its signal aborts, and records that it saw the abort. */
class StoppableHandler implements CommandHandler {
  readonly type = 'slow';
  stoppedWith?: unknown;
  handle(_command: BackendCommand, signal: AbortSignal): Promise<Record<string, unknown>> {
    return new Promise((_, reject) =>
      signal.addEventListener('abort', () => {
        this.stoppedWith = signal.reason;
        reject(signal.reason as Error);
      }),
    );
  }
}

describe('CommandDispatcher timeout', () => {
  it("aborts the handler's signal when the command's time is up, and reports the timeout", async () => {
    Logger.overrideLogger(false);
    const clock = new ManualClock();
    const handler = new StoppableHandler();
    const posted: CommandResultRequest[] = [];
    const api = {
      postCommandResult: (body: CommandResultRequest) => {
        posted.push(body);
        return Promise.resolve();
      },
    } as unknown as BackendApiClient;
    const dispatcher = new CommandDispatcher(
      new CommandHandlerRegistry([handler]),
      new CommandLedger(),
      api,
      clock,
      new SecretRedactor(),
    );
    const done = dispatcher.dispatch([
      { id: 'c1', command_type: 'slow', priority: 'normal', payload: {} },
    ]);
    await new Promise((r) => setImmediate(r));
    clock.advance(COMMAND_TIMEOUT_MS - 1);
    await new Promise((r) => setImmediate(r));
    expect(handler.stoppedWith).toBeUndefined();
    expect(posted).toEqual([]);
    clock.advance(1);
    await done;
    expect(handler.stoppedWith).toMatchObject({ name: 'TimeoutError' });
    expect(posted).toEqual([
      {
        command_id: 'c1',
        status: 'failed',
        error_message: `the command timed out after ${COMMAND_TIMEOUT_MS} ms`,
      },
    ]);
  });
});
