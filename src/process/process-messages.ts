import type { ExitInfo } from './child-run.js';
import { describeExit } from './exit-description.js';

/** Error texts an agent reads (through an `isError` result): what happened and what to do next. */
export function exitedDuringCall(input: {
  readonly slug: string;
  readonly removed: boolean;
  readonly exit?: ExitInfo;
}): string {
  if (input.removed) return `MCP server "${input.slug}" was removed during the call.`;
  const why =
    input.exit && !input.exit.requested ? describeExit(input.exit) : 'the process was stopped';
  return `MCP server "${input.slug}" exited during the call (${why}). It is being restarted; retry the call in a few seconds.`;
}

export function removedMessage(slug: string): string {
  return `MCP server "${slug}" has been removed from the configuration.`;
}

export function permanentlyFailedMessage(slug: string, lastError: string | undefined): string {
  return (
    `MCP server "${slug}" is permanently failed after repeated crashes (${lastError ?? 'unknown error'}). ` +
    'It will not be restarted automatically: an operator must restart it or change its configuration.'
  );
}
