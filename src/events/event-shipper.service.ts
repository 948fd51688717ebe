import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { backoffDelay } from './backoff.js';
import { Clock } from './clock.js';
import { EventBusService } from './event-bus.service.js';
import type { SatelliteEvent } from './event-map.js';
import { EventQueueStore, type QueuedEvent } from './event-queue.store.js';
import { EVENT_SHIPPER_OPTIONS, type EventShipperOptions } from './event-shipper.options.js';
import { EVENT_SINK, type EventSink, type SendResult } from './event-sink.js';

export interface EventShipperStats {
  readonly queued: number;
  readonly delivered: number;
  /** Accepted in a batch but refused one by one by the receiver (not resent). */
  readonly failedAtReceiver: number;
  /** Isolated from a refused batch as malformed and dropped. */
  readonly droppedRefused: number;
  /** Dropped because the queue was full (oldest first), over the queue's life. */
  readonly droppedOverflow: number;
  readonly consecutiveFailures: number;
  readonly retryAt?: string;
  readonly lastError?: string;
}

/** Why a delivery stopped early: the rest stays queued for a later flush. */
type Delivery = 'continue' | 'stop';

const OVERFLOW_LOG_EVERY_MS = 60_000;

/**
 * Ships every event on the bus to the sink: queued durably first (nothing is lost across a
 * restart), sent in batches by `flush()` (the jobs module calls it every few seconds), with
 * exponential backoff while the receiver fails. Delivery is at least once: an event whose batch
 * was taken just before a crash may be sent again.
 */
@Injectable()
export class EventShipperService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EventShipperService.name);
  private unsubscribe?: () => void;
  private inFlight?: Promise<void>;
  private failures = 0;
  private retryAtMs = 0;
  private delivered = 0;
  private failedAtReceiver = 0;
  private droppedRefused = 0;
  private lastError?: string;
  private lastOverflowLogAt = -Infinity;
  private closed = false;

  constructor(
    private readonly bus: EventBusService,
    @Inject(EVENT_SINK) private readonly sink: EventSink,
    private readonly store: EventQueueStore,
    private readonly clock: Clock,
    @Inject(EVENT_SHIPPER_OPTIONS) private readonly options: EventShipperOptions,
  ) {}

  onModuleInit(): void {
    if (this.store.size() > 0)
      this.logger.log(`${this.store.size()} events from an earlier run are queued`);
    this.unsubscribe = this.bus.subscribe((event) => this.enqueue(event));
  }

  /** Queues one event durably (the bus calls this for every emit). */
  enqueue(event: SatelliteEvent): void {
    if (this.closed) {
      this.logger.warn(`event ${event.type} emitted after shutdown; not shipped`);
      return;
    }
    const dropped = this.store.append(event);
    if (dropped > 0) this.reportOverflow();
  }

  /** Sends what is queued, unless a backoff is running. Concurrent calls share one run. */
  flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.closed || this.clock.now() < this.retryAtMs) return Promise.resolve();
    this.inFlight = this.drain().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  stats(): EventShipperStats {
    return {
      queued: this.store.isOpen() ? this.store.size() : 0,
      delivered: this.delivered,
      failedAtReceiver: this.failedAtReceiver,
      droppedRefused: this.droppedRefused,
      droppedOverflow: this.store.isOpen() ? this.store.overflowDropped() : 0,
      consecutiveFailures: this.failures,
      ...(this.retryAtMs > this.clock.now()
        ? { retryAt: new Date(this.retryAtMs).toISOString() }
        : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** One last bounded flush; whatever is left stays on disk for the next start. */
  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    if (this.store.size() > 0 && this.clock.now() >= this.retryAtMs) {
      await this.clock.within(this.flush(), this.options.shutdownFlushMs);
    }
    this.closed = true;
    if (this.store.size() > 0)
      this.logger.log(`${this.store.size()} events stay queued for the next start`);
    this.store.close();
  }

  private async drain(): Promise<void> {
    for (let i = 0; i < this.options.maxBatchesPerFlush && !this.closed; i++) {
      const batch = this.store.peek(this.options.batchSize);
      if (batch.length === 0) return;
      if ((await this.deliver(batch)) === 'stop') return;
    }
  }

  /**
   * Sends one batch. A refused batch is split in halves and each half sent again, so one
   * malformed event costs about log2(batch) extra requests and only that event is dropped.
   */
  private async deliver(batch: readonly QueuedEvent[]): Promise<Delivery> {
    const result = await this.send(batch.map((q) => q.event));
    if (this.closed) return 'stop';
    switch (result.outcome) {
      case 'accepted': {
        this.store.remove(batch.map((q) => q.seq));
        for (const f of result.failures) {
          this.logger.warn(`the receiver refused event ${f.type} (index ${f.index}): ${f.error}`);
        }
        this.failedAtReceiver += result.failures.length;
        this.delivered += batch.length - result.failures.length;
        this.recovered();
        return 'continue';
      }
      case 'refused': {
        this.recovered();
        if (batch.length === 1) {
          this.store.remove([batch[0].seq]);
          this.droppedRefused++;
          this.logger.warn(
            `dropped event ${batch[0].event.type} refused as malformed: ${result.reason}`,
          );
          return 'continue';
        }
        const middle = Math.ceil(batch.length / 2);
        if ((await this.deliver(batch.slice(0, middle))) === 'stop') return 'stop';
        return this.deliver(batch.slice(middle));
      }
      case 'throttled':
        this.backOff(result.reason, result.retryAfterMs);
        return 'stop';
      case 'unavailable':
        this.backOff(result.reason);
        return 'stop';
    }
  }

  private async send(events: SatelliteEvent[]): Promise<SendResult> {
    try {
      return await this.sink.send(events);
    } catch (err) {
      // A sink should answer with a SendResult; anything thrown is treated as passing trouble.
      return { outcome: 'unavailable', reason: err instanceof Error ? err.message : String(err) };
    }
  }

  private backOff(reason: string, retryAfterMs?: number): void {
    this.failures++;
    const { baseBackoffMs: baseMs, maxBackoffMs: maxMs } = this.options;
    // The backend's Retry-After when it gave one, else the shared backoff (backoff.ts).
    const waitMs = Math.min(
      retryAfterMs ?? backoffDelay(this.failures, { baseMs, maxMs, minMs: baseMs / 2 }),
      maxMs,
    );
    this.retryAtMs = this.clock.now() + waitMs;
    this.lastError = reason;
    const message = `event delivery failed (${reason}); ${this.store.size()} queued, next attempt in ${Math.round(waitMs / 1000)} s`;
    if (this.failures === 1) this.logger.warn(message);
    else this.logger.debug(message);
  }

  private recovered(): void {
    if (this.failures > 0)
      this.logger.log(`event delivery recovered after ${this.failures} failed attempts`);
    this.failures = 0;
    this.retryAtMs = 0;
    this.lastError = undefined;
  }

  private reportOverflow(): void {
    const now = this.clock.now();
    if (now - this.lastOverflowLogAt < OVERFLOW_LOG_EVERY_MS) return;
    this.lastOverflowLogAt = now;
    this.logger.warn(
      `event queue full (${this.store.size()}): dropping the oldest events, ${this.store.overflowDropped()} dropped so far`,
    );
  }
}
