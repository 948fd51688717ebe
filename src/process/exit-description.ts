import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ExitInfo } from './child-run.js';

/** "exit code 1", "killed by SIGKILL", or the known cause (OOM kill, stdout cap, spawn error). */
export function describeExit(exit: ExitInfo): string {
  const status = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
  const cause = exit.cause ? `${exit.cause.detail} (${status})` : `the process exited (${status})`;
  return withStderr(cause, exit.stderrTail);
}

/** Why a spawn + handshake attempt failed, for the error message an agent or operator reads. */
export function describeStartFailure(input: {
  readonly err: unknown;
  readonly exit?: ExitInfo;
  readonly stderrTail: readonly string[];
  readonly handshakeTimeoutMs: number;
}): string {
  const { err, exit } = input;
  if (exit) return `${describeExit(exit)} before the MCP handshake completed`;
  if (err instanceof McpError && err.code === (ErrorCode.RequestTimeout as number)) {
    return withStderr(
      `no answer to "initialize" within ${input.handshakeTimeoutMs} ms`,
      input.stderrTail,
    );
  }
  return withStderr(err instanceof Error ? err.message : String(err), input.stderrTail);
}

function withStderr(text: string, tail: readonly string[]): string {
  const last = tail.slice(-3).join(' | ');
  if (!last) return text;
  return `${text}; last stderr: ${last.length > 400 ? `…${last.slice(-400)}` : last}`;
}
