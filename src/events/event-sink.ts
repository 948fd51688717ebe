import type { SatelliteEvent } from './event-map.js';

/** One event the receiver accepted in a batch but could not store (it will not be resent). */
export interface EventFailure {
  readonly index: number;
  readonly type: string;
  readonly error: string;
}

/**
 * What became of one batch. The shipper decides what to do next from this alone, so a sink
 * translates its transport's answers (HTTP statuses, exceptions) into one of these.
 */
export type SendResult =
  /** Taken; `failures` were refused one by one and must not be resent. */
  | { readonly outcome: 'accepted'; readonly failures: readonly EventFailure[] }
  /** The batch as a whole was refused (a malformed event inside): find and drop the bad ones. */
  | { readonly outcome: 'refused'; readonly reason: string }
  /** Too many requests: keep everything and wait (`retryAfterMs` when the receiver said). */
  | { readonly outcome: 'throttled'; readonly reason: string; readonly retryAfterMs?: number }
  /** Not delivered for a reason that passes (network, 5xx, not registered yet): keep and retry. */
  | { readonly outcome: 'unavailable'; readonly reason: string };

/** Where shipped events go. The backend module provides it in managed mode. */
export interface EventSink {
  send(batch: readonly SatelliteEvent[]): Promise<SendResult>;
}

export const EVENT_SINK = Symbol('EVENT_SINK');
