import type { CommandPollResponse, CommandPriority, PollingMode } from './backend-wire.schema.js';

/** docs/backend-contract.md "Commands": immediate 2 s, high 10 s, normal 30 s, slow 60 s. */
export const PRIORITY_INTERVAL_MS: Readonly<Record<CommandPriority, number>> = {
  immediate: 2_000,
  high: 10_000,
  normal: 30_000,
  low: 60_000,
};
export const MODE_INTERVAL_MS: Readonly<Record<PollingMode, number>> = {
  immediate: 2_000,
  normal: 30_000,
  slow: 60_000,
};

/** A backend asking for less than a second (or for nothing) must not turn polling into a busy loop. */
export const MIN_POLL_MS = 1_000;
export const MAX_POLL_MS = 5 * 60_000;
/** First wait after a failed poll; doubles per failure up to MAX_BACKOFF_MS. */
export const BACKOFF_BASE_MS = 5_000;
export const MAX_BACKOFF_MS = 5 * 60_000;

const RANK: Readonly<Record<CommandPriority, number>> = {
  immediate: 0,
  high: 1,
  normal: 2,
  low: 3,
};

export function byPriority(a: CommandPriority, b: CommandPriority): number {
  return RANK[a] - RANK[b];
}

/**
 * The wait before the next poll after a successful one: the backend's `next_poll_interval`
 * (else its `polling_mode`), shortened when the commands just received say more may follow
 * (an immediate command → 2 s, a full page → 2 s).
 */
export function delayAfterSuccess(response: CommandPollResponse, pageLimit: number): number {
  let delay =
    response.next_poll_interval !== undefined
      ? response.next_poll_interval * 1000
      : response.polling_mode
        ? MODE_INTERVAL_MS[response.polling_mode]
        : PRIORITY_INTERVAL_MS.normal;
  const top = response.commands.map((c) => c.priority).sort(byPriority)[0];
  if (top) delay = Math.min(delay, PRIORITY_INTERVAL_MS[top]);
  if (response.commands.length >= pageLimit)
    delay = Math.min(delay, PRIORITY_INTERVAL_MS.immediate);
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.round(delay)));
}

/** Exponential backoff while the backend fails: 5 s, 10 s, 20 s … capped at 5 minutes. */
export function delayAfterFailure(consecutiveFailures: number, retryAfterMs?: number): number {
  const exponential = BACKOFF_BASE_MS * 2 ** Math.min(Math.max(consecutiveFailures - 1, 0), 20);
  return Math.min(MAX_BACKOFF_MS, Math.max(exponential, retryAfterMs ?? 0));
}
