import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { AuthModule } from '../../../src/auth/auth.module.js';
import { BackendModule } from '../../../src/backend/backend.module.js';
import { loadSatelliteConfig } from '../../../src/config/config.loader.js';
import { ConfigModule } from '../../../src/config/config.module.js';
import type { SatelliteConfig } from '../../../src/config/satellite-config.js';
import { SecretRedactor } from '../../../src/config/secret-redactor.js';
import { EventsModule } from '../../../src/events/events.module.js';
import type { FakeBackend } from '../../fake-backend/fake-backend.js';
import { CapturingLogger } from './capturing-logger.js';
import { ManualClock } from '../../support/manual-clock.js';
import { InMemoryServerControl, InMemoryServerControlModule } from './in-memory-server-control.js';

export const SATELLITE_NAME = 'test-satellite-01';

export interface ManagedHarness {
  readonly module: TestingModule;
  /** Set with `http: true`: the modules as a Fastify app (not listening; use `inject`). */
  readonly app?: NestFastifyApplication;
  readonly config: SatelliteConfig;
  readonly clock: ManualClock;
  readonly servers: InMemoryServerControl;
  readonly logs: CapturingLogger;
  readonly dataDir: string;
  get<T>(type: Type<T>): T;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Reuse a data directory (a "restarted" satellite); a fresh temp dir otherwise. */
  readonly dataDir?: string;
  readonly registrationToken?: string;
  readonly env?: Record<string, string>;
  readonly clock?: ManualClock;
  readonly servers?: InMemoryServerControl;
  /** Build a Fastify application (routes, app lifecycle) instead of a bare module. */
  readonly http?: boolean;
  /** Extra modules, e.g. JobsModule.forRoot(config) for a scheduled run. */
  readonly imports?: (
    config: SatelliteConfig,
  ) => NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>;
}

export function tempDir(prefix = 'satellite-managed-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The managed-mode modules (config, events, backend, auth) against a fake backend, with the
 * in-memory ServerControl and a fake clock; scheduling off, so tests drive every step.
 */
export async function startManaged(
  backend: FakeBackend,
  options: HarnessOptions = {},
): Promise<ManagedHarness> {
  const dir = tempDir();
  const dataDir = options.dataDir ?? join(dir, 'data');
  const configPath = join(dir, 'mcp.json');
  writeFileSync(configPath, JSON.stringify({ mcpServers: {} }));
  const config = loadSatelliteConfig({
    NODE_ENV: 'test',
    PORT: '3999',
    DEPLOYSTACK_MCP_CONFIG: configPath,
    DEPLOYSTACK_DATA_DIR: dataDir,
    DEPLOYSTACK_BACKEND_URL: backend.url,
    DEPLOYSTACK_SATELLITE_NAME: SATELLITE_NAME,
    DEPLOYSTACK_SCHEDULER_ENABLED: 'false',
    ...(options.registrationToken
      ? { DEPLOYSTACK_REGISTRATION_TOKEN: options.registrationToken }
      : {}),
    ...options.env,
  });
  const clock = options.clock ?? new ManualClock(Date.now());
  const servers = options.servers ?? new InMemoryServerControl();
  const logs = new CapturingLogger();
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config, new SecretRedactor()),
      EventsModule.forRoot(clock),
      BackendModule.forRoot({ serverControl: [InMemoryServerControlModule.with(servers)] }),
      AuthModule,
      ...(options.imports?.(config) ?? []),
    ],
  })
    .setLogger(logs)
    .compile();
  let app: NestFastifyApplication | undefined;
  let context: INestApplicationContext = module;
  if (options.http) {
    app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: logs,
    });
    context = app;
  }
  context.useLogger(logs);
  await context.init();
  if (app) await app.getHttpAdapter().getInstance().ready();
  return {
    module,
    ...(app ? { app } : {}),
    config,
    clock,
    servers,
    logs,
    dataDir,
    get: <T>(type: Type<T>) => context.get(type),
    close: () => context.close(),
  };
}
