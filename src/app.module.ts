import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ClientAuthModule } from './auth/client-auth.module.js';
import { BackendModule } from './backend/backend.module.js';
import { ConfigModule } from './config/config.module.js';
import { loggerOptions } from './config/logger.options.js';
import type { SatelliteConfig } from './config/satellite-config.js';
import { SecretRedactor } from './config/secret-redactor.js';
import { DiscoveryModule } from './discovery/discovery.module.js';
import type { Clock } from './events/clock.js';
import { EventsModule } from './events/events.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { McpModule } from './mcp/mcp.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ProcessModule } from './process/process.module.js';
import { RestModule } from './rest/rest.module.js';
import { RouterModule } from './router/router.module.js';
import { StatusModule } from './status/status.module.js';
import { UsageModule } from './usage/usage.module.js';

@Module({})
export class AppModule {
  /** `options.clock`: a test's fake clock in place of the wall clock. */
  static forRoot(config: SatelliteConfig, options: { clock?: Clock } = {}): DynamicModule {
    const redactor = new SecretRedactor();
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, redactor),
        LoggerModule.forRoot(loggerOptions(config, redactor)),
        EventsModule.forRoot(options.clock),
        MetricsModule,
        UsageModule,
        ProcessModule,
        DiscoveryModule,
        // Managed mode: the control-plane client applies the backend's servers through
        // discovery's SERVER_CONTROL; /mcp then needs the backend's bearer tokens.
        ...(config.backend ? [BackendModule.forRoot({ serverControl: [DiscoveryModule] })] : []),
        // Client authentication (backend tokens, or standalone DEPLOYSTACK_AUTH): docs/security.md.
        ClientAuthModule.forRoot(config),
        RouterModule,
        McpModule.forRoot(config),
        RestModule,
        StatusModule,
        JobsModule.forRoot(config),
      ],
    };
  }
}
