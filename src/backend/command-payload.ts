import type { z } from 'zod';
import { describeIssues, issueMessages } from '../config/zod-schema.js';
import type { BackendCommand } from './backend-wire.schema.js';

/** A command whose payload lacks or mistypes a field; the message names the field. */
export class InvalidCommandPayloadError extends Error {
  constructor(type: string, problem: string) {
    super(`${type} command: ${problem}`);
    this.name = 'InvalidCommandPayloadError';
  }
}

/**
 * A command's payload read with its schema from backend-wire.schema.ts (unknown fields ignored),
 * failing with a message the backend can show: `kill command: payload.installation_id must be…`.
 */
export function readCommandPayload<T extends z.ZodType>(
  command: BackendCommand,
  schema: T,
): z.output<T> {
  const result = schema.safeParse(command.payload, { error: issueMessages });
  if (result.success) return result.data;
  throw new InvalidCommandPayloadError(
    command.command_type,
    describeIssues(result.error.issues, 'payload').join('; '),
  );
}
