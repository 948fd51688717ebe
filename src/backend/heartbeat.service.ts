import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../events/clock.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { BackendApiClient } from './backend-api.client.js';
import { type BackendSettings, backendSettings } from './backend-settings.js';
import type { HeartbeatRequest } from './backend-wire.schema.js';
import { SatelliteIdentity } from './satellite-identity.service.js';
import {
  SERVER_CONTROL,
  type ProcessState,
  type ServerControl,
} from '../discovery/server-control.js';
import { SystemMetricsProbe } from './system-metrics.probe.js';

const isFailing = (p: ProcessState) => p.status === 'failed' || p.health_status === 'unhealthy';

/**
 * Builds and sends one heartbeat (docs/backend-contract.md "Heartbeat"): real machine figures,
 * every server instance's state, and `degraded` / `error` when servers are failing. The satellite
 * URL rides along until the backend has acknowledged it once for the current registration.
 */
@Injectable()
export class HeartbeatService {
  private readonly settings: BackendSettings;
  private readonly version: string;
  private urlReportedForKey?: string;
  private lastSuccessAt?: number;

  constructor(
    private readonly api: BackendApiClient,
    private readonly identity: SatelliteIdentity,
    private readonly metrics: SystemMetricsProbe,
    @Inject(SERVER_CONTROL) private readonly servers: ServerControl,
    private readonly clock: Clock,
    config: SatelliteConfig,
  ) {
    this.settings = backendSettings(config);
    this.version = config.version;
  }

  /** Throws the client's typed errors (ApiKeyRejected, SatelliteNotFound, BackendUnavailable). */
  async send(): Promise<void> {
    const key = this.identity.require().api_key;
    await this.api.heartbeat(await this.build(key));
    this.urlReportedForKey = key;
    this.lastSuccessAt = this.clock.now();
  }

  /** Time of the last heartbeat the backend took, for status pages. */
  lastSuccess(): number | undefined {
    return this.lastSuccessAt;
  }

  private async build(apiKey: string): Promise<HeartbeatRequest> {
    const processes = this.servers.processStates();
    const failing = processes.filter(isFailing).length;
    const status = failing === 0 ? 'active' : failing === processes.length ? 'error' : 'degraded';
    return {
      status,
      system_metrics: await this.metrics.sample(),
      processes: processes.map((p) => ({
        id: p.id,
        server_name: p.server_name,
        status: p.status,
        health_status: p.health_status,
      })),
      error_count: failing,
      version: this.version,
      ...(this.urlReportedForKey === apiKey ? {} : { satellite_url: this.settings.satelliteUrl }),
    };
  }
}
