import { type BackoffPolicy, backoffDelay } from '../events/backoff.js';
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
/** Ceiling of the first wait after a failed poll; doubles per failure up to MAX_BACKOFF_MS. */
export const BACKOFF_BASE_MS = 5_000;
export const MAX_BACKOFF_MS = 5 * 60_000;
/** While the backend fails: the shared backoff (src/events/backoff.ts), never below 2.5 s. */
export const POLL_BACKOFF: BackoffPolicy = {
  baseMs: BACKOFF_BASE_MS,
  maxMs: MAX_BACKOFF_MS,
  minMs: BACKOFF_BASE_MS / 2,
};

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

/**
 * The wait while the backend fails: POLL_BACKOFF (ceilings 5 s, 10 s, 20 s … 5 minutes, full
 * jitter, at least 2.5 s), or the backend's longer `Retry-After`, never above 5 minutes.
 */
export function delayAfterFailure(
  consecutiveFailures: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const jittered = backoffDelay(consecutiveFailures, POLL_BACKOFF, random);
  return Math.min(MAX_BACKOFF_MS, Math.max(jittered, retryAfterMs ?? 0));
}
