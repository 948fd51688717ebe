/** Why a stdio server cannot serve a call right now. */
export type ProcessUnavailableReason =
  | 'unknown_server'
  | 'permanently_failed'
  | 'start_failed'
  | 'restarting'
  | 'exited_during_call'
  | 'terminated';

/**
 * A stdio server cannot take the call. The message is written for an agent: it says what happened
 * and what to do next; `reason` is for code (metrics, status mapping).
 */
export class ProcessUnavailableError extends Error {
  constructor(
    readonly reason: ProcessUnavailableReason,
    readonly serverId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProcessUnavailableError';
  }
}

/** The configured sandbox cannot be used (missing binary, or `none` refused in production). */
export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}
