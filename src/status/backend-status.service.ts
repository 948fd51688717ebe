import { Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { BackendConnectionService } from '../backend/backend-connection.service.js';
import { CommandPollerService } from '../backend/command-poller.service.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { EventShipperService } from '../events/event-shipper.service.js';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * The satellite's standing with the control plane, read from the (global) backend module when
 * it is loaded (managed mode); in standalone mode there is nothing to report but the mode.
 */
@Injectable()
export class BackendStatusService implements OnModuleInit {
  private reachedOnce = false;

  constructor(
    private readonly config: SatelliteConfig,
    private readonly metrics: MetricsService,
    @Optional() private readonly connection?: BackendConnectionService,
    @Optional() private readonly poller?: CommandPollerService,
    @Optional() private readonly shipper?: EventShipperService,
  ) {}

  get mode(): 'managed' | 'standalone' {
    return this.config.backend ? 'managed' : 'standalone';
  }

  /** Readiness in managed mode: the backend has answered at least once since start. */
  backendReachedOnce(): boolean {
    if (!this.connection) return true;
    if (!this.reachedOnce) {
      const s = this.connection.status();
      this.reachedOnce = s.state === 'connected' || s.lastHeartbeatAt !== undefined;
    }
    return this.reachedOnce;
  }

  /** `/api/status/backend`. */
  report() {
    if (!this.connection || !this.config.backend) return { mode: this.mode };
    const connection = this.connection.status();
    const poller = this.poller?.status();
    return {
      mode: this.mode,
      backend_url: this.config.backend.url,
      reachable: connection.state === 'connected',
      state: connection.state,
      satellite_id: connection.satelliteId ?? null,
      last_heartbeat_at: connection.lastHeartbeatAt ?? null,
      ...(connection.lastError ? { last_error: connection.lastError } : {}),
      polling: poller
        ? {
            last_poll_at: poller.lastPollAt ?? null,
            next_poll_in_ms: poller.nextDelayMs ?? null,
            consecutive_failures: poller.consecutiveFailures,
            backing_off: poller.consecutiveFailures > 0,
            ...(poller.lastError ? { last_error: poller.lastError } : {}),
          }
        : null,
      events: this.shipper?.stats() ?? null,
    };
  }

  onModuleInit(): void {
    const { connection, poller, shipper } = this;
    if (!connection || !poller || !shipper) return;
    this.metrics.gauge(
      'satellite_backend_connected',
      'Whether the last heartbeat or registration reached the backend (1) or not (0)',
      [],
      () => (connection.isConnected() ? 1 : 0),
    );
    this.metrics.gauge(
      'satellite_backend_last_heartbeat_timestamp_seconds',
      'Unix time of the last successful heartbeat (0 before the first)',
      [],
      () => {
        const at = connection.status().lastHeartbeatAt;
        return at ? Date.parse(at) / 1000 : 0;
      },
    );
    this.metrics.gauge(
      'satellite_backend_poll_consecutive_failures',
      'Command polls that failed in a row (0 while the backend answers)',
      [],
      () => poller.status().consecutiveFailures,
    );
    this.metrics.gauge(
      'satellite_event_queue_depth',
      'Events waiting to be shipped',
      [],
      () => shipper.stats().queued,
    );
    this.metrics.counter(
      'satellite_events_dropped_total',
      'Events dropped: queue overflow (oldest first) and refused malformed events',
      () => shipper.stats().droppedOverflow + shipper.stats().droppedRefused,
    );
    this.metrics.counter(
      'satellite_events_delivered_total',
      'Events the backend accepted',
      () => shipper.stats().delivered,
    );
  }
}
