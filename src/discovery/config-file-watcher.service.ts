import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type FSWatcher, watch } from 'chokidar';
import { readServerConfigFile, ServerConfigError } from '../config/mcp-server-file.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { EventBusService } from '../events/event-bus.service.js';
import { ServerRegistryService } from './server-registry.service.js';

/**
 * Standalone mode's configuration source: applies the server config file at boot and every
 * edit after it as a differential update. A broken edit keeps the last good configuration.
 */
@Injectable()
export class ConfigFileWatcherService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ConfigFileWatcherService.name);
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: SatelliteConfig,
    private readonly registry: ServerRegistryService,
    private readonly events: EventBusService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.backend) {
      // Managed mode: the backend decides which servers exist (backend module, config sync).
      this.logger.log(
        'managed mode: MCP servers come from the backend; the config file is not used',
      );
      return;
    }
    const { configPath, initialServers, watch: shouldWatch } = this.config.discovery;
    // Not awaited: the HTTP server listens while upstreams are discovered; readiness waits.
    void this.registry.apply(`file:${configPath}`, initialServers);
    if (!shouldWatch) return;
    this.watcher = watch(configPath, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
    });
    this.watcher.on('all', (event) => this.schedule(event));
    this.watcher.on('error', (err) =>
      this.logger.warn(`watching ${configPath} failed: ${(err as Error).message}`),
    );
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.debounce);
    await this.watcher?.close();
  }

  /** Re-reads the file now (also used by tests and the debounce timer). */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.reloadNow());
    return this.reloading;
  }

  private schedule(event: string): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), event === 'unlink' ? 500 : 50);
  }

  private async reloadNow(): Promise<void> {
    const path = this.config.discovery.configPath;
    try {
      const defs = await readServerConfigFile(path);
      await this.registry.apply(`file:${path}`, defs);
    } catch (err) {
      const problems =
        err instanceof ServerConfigError ? [...err.problems] : [(err as Error).message];
      this.logger.error(
        `config file ${path} not applied, keeping the last good configuration:\n  - ${problems.join('\n  - ')}`,
      );
      this.events.emit('config.error', { source: `file:${path}`, problems });
    }
  }
}
