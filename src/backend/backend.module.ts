import { join } from 'node:path';
import { type DynamicModule, type ModuleMetadata, Module } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { EventQueueStore } from '../events/event-queue.store.js';
import {
  DEFAULT_EVENT_SHIPPER_OPTIONS,
  EVENT_SHIPPER_OPTIONS,
  type EventShipperOptions,
} from '../events/event-shipper.options.js';
import { EventShipperService } from '../events/event-shipper.service.js';
import { EVENT_SINK } from '../events/event-sink.js';
import { BackendApiClient } from './backend-api.client.js';
import { BackendConnectionService } from './backend-connection.service.js';
import { BackendEventSink } from './backend-event-sink.service.js';
import { BackendHttpClient } from './backend-http.client.js';
import { backendSettings } from './backend-settings.js';
import { BUILTIN_COMMAND_HANDLERS, type CommandHandler } from './command-handler.js';
import { CommandHandlerRegistry } from './command-handler.registry.js';
import { CommandDispatcher } from './command-dispatcher.service.js';
import { CommandLedger } from './command-ledger.js';
import { CommandPollerService } from './command-poller.service.js';
import { ConfigSyncService } from './config-sync.service.js';
import { CredentialsStore } from './credentials.store.js';
import { ApproveToolsCommandHandler } from './handlers/approve-tools-command.handler.js';
import { ConfigureCommandHandler } from './handlers/configure-command.handler.js';
import { HealthCheckCommandHandler } from './handlers/health-check-command.handler.js';
import { KillCommandHandler } from './handlers/kill-command.handler.js';
import { RestartCommandHandler } from './handlers/restart-command.handler.js';
import { SpawnCommandHandler } from './handlers/spawn-command.handler.js';
import { HeartbeatService } from './heartbeat.service.js';
import { RegistrationService } from './registration.service.js';
import { SatelliteIdentity } from './satellite-identity.service.js';
import { SystemMetricsProbe } from './system-metrics.probe.js';

export interface BackendModuleOptions {
  /** Modules that export the SERVER_CONTROL provider (in the app: the discovery module). */
  readonly serverControl: NonNullable<ModuleMetadata['imports']>;
}

const HANDLERS = [
  ConfigureCommandHandler,
  SpawnCommandHandler,
  KillCommandHandler,
  RestartCommandHandler,
  HealthCheckCommandHandler,
  ApproveToolsCommandHandler,
];

/** The file of the durable event queue inside the data directory. */
export const EVENT_QUEUE_FILE = 'event-queue.sqlite';

/**
 * Managed mode's control-plane client (docs/managed-mode.md; docs/architecture.md "A backend
 * command"). Import it only when `config.backend` is set. It is global because the app configures it once (it needs the app's
 * SERVER_CONTROL) and auth and jobs use its services; a dynamic module imported from three
 * places would be three instances.
 */
@Module({})
export class BackendModule {
  static forRoot(options: BackendModuleOptions): DynamicModule {
    return {
      global: true,
      module: BackendModule,
      imports: [...options.serverControl],
      providers: [
        BackendHttpClient,
        BackendApiClient,
        SatelliteIdentity,
        CredentialsStore,
        SystemMetricsProbe,
        RegistrationService,
        HeartbeatService,
        ConfigSyncService,
        BackendConnectionService,
        CommandLedger,
        ...HANDLERS,
        {
          provide: BUILTIN_COMMAND_HANDLERS,
          useFactory: (...handlers: CommandHandler[]) => handlers,
          inject: HANDLERS,
        },
        CommandHandlerRegistry,
        CommandDispatcher,
        CommandPollerService,
        BackendEventSink,
        { provide: EVENT_SINK, useExisting: BackendEventSink },
        {
          provide: EventQueueStore,
          useFactory: (config: SatelliteConfig) =>
            EventQueueStore.open({
              path: join(config.dataDir, EVENT_QUEUE_FILE),
              capacity: backendSettings(config).events.maxQueued,
            }),
          inject: [SatelliteConfig],
        },
        {
          provide: EVENT_SHIPPER_OPTIONS,
          useFactory: (config: SatelliteConfig): EventShipperOptions => ({
            ...DEFAULT_EVENT_SHIPPER_OPTIONS,
            batchSize: backendSettings(config).events.batchSize,
          }),
          inject: [SatelliteConfig],
        },
        EventShipperService,
      ],
      exports: [
        BackendApiClient,
        SatelliteIdentity,
        BackendConnectionService,
        ConfigSyncService,
        CommandHandlerRegistry,
        CommandPollerService,
        EventShipperService,
      ],
    };
  }
}
