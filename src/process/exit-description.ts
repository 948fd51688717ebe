import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { BlockList } from 'node:net';
import type { ExitInfo } from './child-run.js';
import { BLOCKED_V4 } from './sandbox/network-rules.js';

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
  const hint = sandboxHint(tail);
  return `${text}; last stderr: ${last.length > 400 ? `…${last.slice(-400)}` : last}${hint ? `. ${hint}` : ''}`;
}

const BLOCKED = new BlockList();
for (const cidr of BLOCKED_V4) {
  const [address = '', prefix = '0'] = cidr.split('/');
  BLOCKED.addSubnet(address, Number(prefix), 'ipv4');
}

/**
 * What the sandbox has to do with a failure, from the server's own error lines: an address the
 * network policy refuses, a name that does not resolve, a path the sandbox does not show. Says
 * which setting changes it (docs/process.md, "Network" and "What a sandboxed server sees").
 */
export function sandboxHint(lines: readonly string[]): string | undefined {
  const text = lines.join('\n');
  const refused =
    /(?:EACCES|EPERM|EHOSTUNREACH|ENETUNREACH|ECONNREFUSED)\D{0,40}?(\d{1,3}(?:\.\d{1,3}){3}):(\d+)/.exec(
      text,
    );
  if (refused && BLOCKED.check(refused[1] ?? '', 'ipv4'))
    return `The sandbox's network refuses ${refused[1]} (host, private or link-local range): to allow it, set "network": {"allow": ["${refused[1]}:${refused[2]}"], "egress": true} on the server`;
  if (/getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|Temporary failure in name resolution/.test(text))
    return 'A host name did not resolve: a server with "network": "none" (or DEPLOYSTACK_SANDBOX_NETWORK=none) has no network; an allow-list resolves only the hosts it lists';
  const missing =
    /ENOENT[^']*'(\/[^']+)'/.exec(text) ?? /Cannot find (?:module|package) '(\/[^']+)'/.exec(text);
  if (missing)
    return `If ${missing[1]} exists on the host, the sandbox does not show it: add it (or its folder) to the server's "mounts"`;
  return undefined;
}
