import type { BackendCommand } from './backend-wire.schema.js';

/**
 * One handler per command type. `handle` returns the result object posted as `completed`;
 * throwing posts `failed` with the error's message as `error_message` (the backend sees it, so it
 * should tell an operator what went wrong). `signal` aborts when the command's time is up
 * (COMMAND_TIMEOUT_MS): pass it down to the work (`fetch`, the SDK's `RequestOptions.signal`)
 * so the work stops (docs/style.md §13).
 */
export interface CommandHandler {
  readonly type: string;
  handle(command: BackendCommand, signal: AbortSignal): Promise<Record<string, unknown>>;
}

/** The backend module's own handlers (multi-provider collected by a factory in BackendModule). */
export const BUILTIN_COMMAND_HANDLERS = Symbol('BUILTIN_COMMAND_HANDLERS');
