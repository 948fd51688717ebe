import type { ServerDefinition } from '../config/server-definition.js';
import type { ProcessInfo } from '../process/process-info.js';
import type { ProcessState } from '../process/process-state.js';
import type { OwnedOp } from '../process/server-owner.js';
import type { UpstreamInfo } from './upstream-manager.service.js';

/**
 * What every configured server shows (docs/process.md "Lifecycle"): on `GET /`, on the debug
 * route and in `execute_mcp_tool` errors. Every configured server is always in exactly one.
 *
 * - `online`: connected, tools listed.
 * - `starting`: being started, replaced, restarted (also after a crash, within the backoff) or
 *   having its tools listed; `reason` says which.
 * - `installing`: a package runner (npx, uvx) is fetching the server's package before it can
 *   start (produced by the package-runner work; see `processState` below).
 * - `dormant`: parked after being idle; the next call respawns it.
 * - `error`: not usable; `reason` says why (failed start, crash loop, failed discovery…).
 * - `disabled`: switched off in the configuration.
 */
export type ServerState = 'online' | 'starting' | 'installing' | 'dormant' | 'error' | 'disabled';

export const SERVER_STATES: readonly ServerState[] = [
  'online',
  'starting',
  'installing',
  'dormant',
  'error',
  'disabled',
];

export interface VisibleState {
  readonly state: ServerState;
  /** Always set for `error`; for the others when there is something to say. */
  readonly reason?: string;
}

export interface StateInput {
  readonly def: ServerDefinition;
  /** The upstream manager's entry; undefined before the owner's first operation ran. */
  readonly upstream?: UpstreamInfo;
  /** The supervised process of a stdio server, when it has one. */
  readonly process?: ProcessInfo;
  /** The owner's operation running on the server, or `queued` when one waits for its turn. */
  readonly operation?: OwnedOp | 'queued';
}

/** The one mapping from the owner's, the upstream's and the process's facts to a visible state. */
export function visibleState({ def, upstream, process, operation }: StateInput): VisibleState {
  if (!def.enabled || upstream?.status === 'disabled')
    return { state: 'disabled', reason: 'disabled in the configuration' };
  if (!upstream) {
    return operation
      ? { state: 'starting', reason: operation === 'queued' ? 'queued' : operation }
      : {
          // Never expected: every configured server is handed to the owner. Said, not hidden.
          state: 'error',
          reason: 'configured, but no start was run for it',
        };
  }
  if (process && def.transport === 'stdio') {
    const fromProcess = processState(process, operation);
    if (fromProcess.state !== 'online') return fromProcess;
  }
  switch (upstream.status) {
    case 'online':
      return { state: 'online' };
    case 'connecting':
      return { state: 'starting', reason: process ? 'listing its tools' : 'connecting' };
    case 'error':
      return { state: 'error', reason: upstream.lastError ?? 'discovery failed' };
  }
}

/**
 * A stdio process's state, seen from outside. Exhaustive over ProcessState on purpose: a new
 * process state (e.g. `installing` for package runners) must be mapped here to compile.
 */
function processState(process: ProcessInfo, operation: StateInput['operation']): VisibleState {
  const state: ProcessState = process.state;
  switch (state) {
    case 'running':
      return { state: 'online' };
    case 'starting':
      return { state: 'starting', ...(operation ? { reason: String(operation) } : {}) };
    case 'installing':
      return { state: 'installing', reason: 'first start: downloading its package' };
    case 'dormant':
      return { state: 'dormant', reason: 'idle; the next call respawns it' };
    case 'crashed':
    case 'restarting':
      return {
        state: 'starting',
        reason: `restarting after a crash${process.lastError ? `: ${process.lastError}` : ''}`,
      };
    case 'permanently_failed':
      return {
        state: 'error',
        reason: `permanently failed (an operator must restart it): ${process.lastError ?? 'unknown error'}`,
      };
    case 'terminated':
      // Only while an operation replaces it; otherwise a stopped process of a configured server.
      return operation
        ? { state: 'starting', reason: String(operation) }
        : {
            state: 'error',
            reason: `its process was stopped${process.lastError ? `: ${process.lastError}` : ''}`,
          };
    default: {
      const unmapped: never = state;
      return { state: 'error', reason: `unknown process state ${String(unmapped)}` };
    }
  }
}
