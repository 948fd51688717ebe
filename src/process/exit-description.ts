import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { statSync } from 'node:fs';
import { BlockList } from 'node:net';
import { dirname } from 'node:path';
import type { ExitInfo } from './child-run.js';
import { BLOCKED_V4 } from './sandbox/network-rules.js';

/** "exit code 1", "killed by SIGKILL", or the known cause (OOM kill, stdout cap, spawn error). */
export function describeExit(exit: ExitInfo): string {
  const status = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
  const detail =
    exit.cause?.detail ??
    // The soft RLIMIT_CPU the sandbox sets (docs/process.md, "Limits"): the kernel's SIGXCPU.
    (exit.signal === 'SIGXCPU'
      ? 'the server used up its CPU time limit (DEPLOYSTACK_LIMIT_CPU_SECONDS)'
      : undefined);
  const cause = detail ? `${detail} (${status})` : `the process exited (${status})`;
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
  const denied = /EACCES[^']*'(\/[^']+)'/.exec(text);
  const missing =
    /ENOENT[^']*'(\/[^']+)'/.exec(text) ?? /Cannot find (?:module|package) '(\/[^']+)'/.exec(text);
  const path = (denied ?? missing)?.[1];
  if (!path) return undefined;
  const closed = closedFolder(path);
  if (closed)
    return `${path} is on the host, but its folder ${closed.folder} (mode ${closed.mode}) lets no other user through, and a sandboxed server runs as its team's user: open it (chmod o+x ${closed.folder}) or move the server's files to a folder others can enter`;
  if (missing)
    return `If ${path} exists on the host, the sandbox does not show it: add it (or its folder) to the server's "mounts"`;
  return undefined;
}

/**
 * The first folder on the way to `path` (from `/`) that other users cannot enter, when `path` is
 * there on the host: the reason a sandboxed server (which runs under its team's uid) is refused a
 * file the satellite's own user sees, e.g. a checkout inside a 0700 home or temp folder.
 */
export function closedFolder(
  path: string,
  stat: (p: string) => { mode: number; isDirectory(): boolean } | undefined = statOrUndefined,
): { folder: string; mode: string } | undefined {
  if (!stat(path)) return undefined;
  const folders: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    folders.unshift(dir);
    if (dir === dirname(dir)) break;
  }
  for (const folder of folders) {
    const info = stat(folder);
    if (info?.isDirectory() && (info.mode & 0o001) === 0)
      return { folder, mode: `0${(info.mode & 0o777).toString(8)}` };
  }
  return undefined;
}

function statOrUndefined(p: string): { mode: number; isDirectory(): boolean } | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}
