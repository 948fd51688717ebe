import { Injectable } from '@nestjs/common';
import type { SatelliteEvent } from '../events/event-map.js';
import type { EventSink, SendResult } from '../events/event-sink.js';
import { BackendApiClient } from './backend-api.client.js';
import { ApiKeyRejectedError, SatelliteNotFoundError } from './backend.errors.js';
import { BackendConnectionService } from './backend-connection.service.js';
import { SatelliteIdentity } from './satellite-identity.service.js';

/**
 * Managed mode's event sink: `POST /api/satellites/{id}/events`, answers mapped for the shipper.
 * Only 400/413/422 count as a refused batch (the events themselves are at fault).
 */
@Injectable()
export class BackendEventSink implements EventSink {
  constructor(
    private readonly api: BackendApiClient,
    private readonly identity: SatelliteIdentity,
    private readonly connection: BackendConnectionService,
  ) {}

  async send(batch: readonly SatelliteEvent[]): Promise<SendResult> {
    if (!this.identity.current())
      return { outcome: 'unavailable', reason: 'the satellite is not registered yet' };
    try {
      return await this.api.postEvents(batch);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof ApiKeyRejectedError || err instanceof SatelliteNotFoundError) {
        this.connection.credentialsLost(err);
        return { outcome: 'unavailable', reason: message };
      }
      // Any other refusal (403, 405…) says nothing about the events: keep them, retry later.
      return { outcome: 'unavailable', reason: message };
    }
  }
}
