export interface EventShipperOptions {
  /** Events per request (the backend takes 1–100). */
  readonly batchSize: number;
  /**
   * Ceiling of the wait after the first failed delivery; doubles with each further failure, with
   * full jitter and never below half of it (src/events/backoff.ts).
   */
  readonly baseBackoffMs: number;
  /** Longest wait between delivery attempts while the receiver fails. */
  readonly maxBackoffMs: number;
  /** Upper bound of batches sent by one flush, so a big backlog drains over a few ticks. */
  readonly maxBatchesPerFlush: number;
  /** How long shutdown waits for a last flush before leaving the rest on disk. */
  readonly shutdownFlushMs: number;
}

export const EVENT_SHIPPER_OPTIONS = Symbol('EVENT_SHIPPER_OPTIONS');

/** The contract's figures (docs/backend-contract.md "Events"). */
export const DEFAULT_EVENT_SHIPPER_OPTIONS: EventShipperOptions = {
  batchSize: 100,
  baseBackoffMs: 3_000,
  maxBackoffMs: 5 * 60_000,
  maxBatchesPerFlush: 50,
  shutdownFlushMs: 3_000,
};
