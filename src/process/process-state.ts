import type { ServerStatus } from '../events/event-map.js';

/** The lifecycle of one supervised stdio server (docs/process.md "Lifecycle"). */
export type ProcessState =
  | 'starting'
  | 'installing'
  | 'running'
  | 'dormant'
  | 'crashed'
  | 'restarting'
  | 'permanently_failed'
  | 'terminated';

/**
 * Every allowed transition, in one place. `crashed` is transient: the supervisor leaves it at once
 * for `restarting` or `permanently_failed`, so the crash is visible in events and on the debug route.
 */
const TRANSITIONS: Readonly<Record<ProcessState, readonly ProcessState[]>> = {
  starting: ['installing', 'running', 'crashed', 'terminated'],
  // A package runner's first start (package-runner.ts): download, then the handshake.
  installing: ['running', 'crashed', 'terminated'],
  running: ['dormant', 'crashed', 'starting', 'terminated'],
  dormant: ['starting', 'terminated'],
  crashed: ['restarting', 'permanently_failed', 'terminated'],
  restarting: ['starting', 'terminated'],
  permanently_failed: ['starting', 'terminated'],
  terminated: [],
};

export function canTransition(from: ProcessState, to: ProcessState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: ProcessState,
    readonly to: ProcessState,
  ) {
    super(`illegal process state transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/**
 * The backend's status vocabulary (docs/backend-contract.md "Key payloads",
 * `mcp.server.status_changed`).
 */
export function toServerStatus(state: ProcessState): ServerStatus {
  switch (state) {
    case 'starting':
      return 'connecting';
    case 'installing':
      return 'provisioning';
    case 'running':
      return 'online';
    case 'dormant':
    case 'terminated':
      return 'offline';
    case 'crashed':
      return 'error';
    case 'restarting':
      return 'restarting';
    case 'permanently_failed':
      return 'permanently_failed';
  }
}
