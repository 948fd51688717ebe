import { Injectable, Logger } from '@nestjs/common';
import type { SatelliteEvent, SatelliteEventMap, SatelliteEventType } from './event-map.js';

export type EventListener = (event: SatelliteEvent) => void;

/**
 * The bus every module emits on. Delivery is plugged in from outside: a log sink in standalone
 * mode, the backend shipper in managed mode (docs/architecture.md "Dependencies": `events`
 * imports no feature module).
 * Listeners run synchronously and their errors are caught here, so an emitter never fails.
 */
@Injectable()
export class EventBusService {
  private readonly logger = new Logger(EventBusService.name);
  private readonly listeners = new Set<EventListener>();
  private readonly counts = new Map<SatelliteEventType, number>();

  emit<K extends SatelliteEventType>(type: K, data: SatelliteEventMap[K]): void {
    const event: SatelliteEvent<K> = { type, timestamp: new Date().toISOString(), data };
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error(`event listener failed on ${type}: ${(err as Error).message}`);
      }
    }
  }

  /** Returns an unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events emitted so far, by type (for status and metrics). */
  emitted(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
