import { Inject, Injectable, Logger } from '@nestjs/common';
import { SecretRedactor } from '../config/secret-redactor.js';
import { Clock } from '../events/clock.js';
import { EventBusService } from '../events/event-bus.service.js';
import { BackendApiClient } from './backend-api.client.js';
import { mapBackendServers } from './backend-config.mapper.js';
import {
  SERVER_CONTROL,
  type ServerControl,
  type ServerDiff,
} from '../discovery/server-control.js';

export interface ConfigSyncSummary {
  readonly total_servers: number;
  readonly enabled_servers: number;
  readonly diff: ServerDiff;
  /** Entries or fields of the backend's configuration that could not be used. */
  readonly problems: number;
  readonly synced_at: string;
}

/**
 * Fetches the backend's configuration and hands the full desired set to the same registry diff
 * the standalone config file uses (docs/architecture.md "Registry diff"). Runs at connect and on
 * every `configure` command; runs are serialized, and a failed run is retried by the next poll.
 */
@Injectable()
export class ConfigSyncService {
  private readonly logger = new Logger(ConfigSyncService.name);
  private queue: Promise<unknown> = Promise.resolve();
  private pending = true;
  private idsByName: ReadonlyMap<string, string> = new Map();
  private last?: ConfigSyncSummary;
  private satelliteConfig: Record<string, unknown> = {};

  constructor(
    private readonly api: BackendApiClient,
    @Inject(SERVER_CONTROL) private readonly servers: ServerControl,
    private readonly events: EventBusService,
    private readonly redactor: SecretRedactor,
    private readonly clock: Clock,
  ) {}

  /** Throws the client's typed errors; the configuration then stays as it was. */
  sync(reason: string): Promise<ConfigSyncSummary> {
    const run = this.queue.then(() => this.syncNow(reason));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** For callers that only log: connect, and the poller's retry of a failed sync. */
  async syncSafely(reason: string): Promise<void> {
    try {
      await this.sync(reason);
    } catch (err) {
      this.logger.warn(
        `configuration sync (${reason}) failed, retrying with the next poll: ${(err as Error).message}`,
      );
    }
  }

  async syncIfPending(): Promise<void> {
    if (this.pending) await this.syncSafely('retry');
  }

  /** The installation id for a command that names the installation either way. */
  resolveInstallationId(ref: {
    installation_id?: string;
    installation_name?: string;
  }): string | undefined {
    if (ref.installation_id) return ref.installation_id;
    return ref.installation_name ? this.idsByName.get(ref.installation_name) : undefined;
  }

  lastSync(): ConfigSyncSummary | undefined {
    return this.last;
  }

  /** The backend's `satellite_config` block as last received (shown by status; not acted on yet). */
  backendSatelliteConfig(): Readonly<Record<string, unknown>> {
    return this.satelliteConfig;
  }

  private async syncNow(reason: string): Promise<ConfigSyncSummary> {
    this.pending = true;
    const config = await this.api.fetchConfig();
    const mapped = mapBackendServers(config.mcp_servers);
    // Before anything is logged: the secrets of this configuration are masked from now on.
    this.redactor.set('backend:config', mapped.secrets);
    if (mapped.problems.length > 0) {
      this.logger.warn(
        `backend configuration has ${mapped.problems.length} problem(s):\n  - ${mapped.problems.join('\n  - ')}`,
      );
      this.events.emit('config.error', { source: 'backend', problems: mapped.problems });
    }
    const diff = await this.servers.applyDesiredServers('backend', mapped.servers);
    this.idsByName = mapped.idsByName;
    this.satelliteConfig = config.satellite_config;
    this.pending = false;
    this.last = {
      total_servers: mapped.servers.length,
      enabled_servers: mapped.servers.filter((s) => s.enabled).length,
      diff,
      problems: mapped.problems.length,
      synced_at: new Date(this.clock.now()).toISOString(),
    };
    this.logger.log(
      `backend configuration applied (${reason}): ${this.last.total_servers} servers, ${this.last.enabled_servers} enabled, ` +
        `+${diff.added} -${diff.removed} ~${diff.modified} =${diff.unchanged}`,
    );
    return this.last;
  }
}
