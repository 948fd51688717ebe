import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type DynamicModule, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { loadSatelliteConfig } from '../../../src/config/config.loader.js';
import {
  type ResourceLimits,
  type SandboxDriverName,
  SatelliteConfig,
} from '../../../src/config/satellite-config.js';
import type { StdioServerDefinition } from '../../../src/config/server-definition.js';
import { Clock } from '../../../src/events/clock.js';
import { EventBusService } from '../../../src/events/event-bus.service.js';
import type { SatelliteEvent, SatelliteEventType } from '../../../src/events/event-map.js';
import { ProcessManagerService } from '../../../src/process/process-manager.service.js';
import { ProcessModule } from '../../../src/process/process.module.js';
import { ProcessTuning } from '../../../src/process/process-tuning.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures');
export const fixture = (name: string) => join(FIXTURES, name);

@Module({})
class TestGlobals {
  static forRoot(config: SatelliteConfig): DynamicModule {
    return {
      module: TestGlobals,
      global: true,
      providers: [{ provide: SatelliteConfig, useValue: config }, EventBusService, Clock],
      exports: [SatelliteConfig, EventBusService, Clock],
    };
  }
}

export interface HarnessOptions {
  sandbox?: SandboxDriverName;
  env?: 'test' | 'production';
  allowUnsandboxed?: boolean;
  idleTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  killGraceMs?: number;
  limits?: Partial<ResourceLimits>;
  tuning?: Partial<ProcessTuning>;
  dataDir?: string;
  /** The health probe (DEPLOYSTACK_PROCESS_PING_*); default: the satellite's defaults. */
  health?: { pingIntervalMs: number; pingTimeoutMs: number; after: number; restart: boolean };
}

export interface Harness {
  readonly manager: ProcessManagerService;
  readonly dataDir: string;
  readonly events: SatelliteEvent[];
  eventsOf<K extends SatelliteEventType>(type: K): Array<SatelliteEvent<K>>;
  close(): Promise<void>;
}

/** The process module alone, in a Nest testing module, with the real config and event bus. */
export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dataDir = opts.dataDir ?? join(mkdtempSync(join(tmpdir(), 'process-e2e-')), 'data');
  // The real loader, so the harness follows the configuration tree as it grows.
  const limits = { memoryMb: 100, cpuCores: 0.5, maxProcesses: 50, cpuSeconds: 60, ...opts.limits };
  const config = loadSatelliteConfig({
    NODE_ENV: opts.env ?? 'test',
    LOG_LEVEL: 'error',
    DEPLOYSTACK_MCP_CONFIG: resolve(ROOT, 'config', 'mcp-servers.empty.json'),
    DEPLOYSTACK_DATA_DIR: dataDir,
    DEPLOYSTACK_SANDBOX: opts.sandbox ?? 'none',
    DEPLOYSTACK_ALLOW_UNSANDBOXED: String(opts.allowUnsandboxed ?? true),
    DEPLOYSTACK_PROCESS_IDLE_TIMEOUT_MS: String(opts.idleTimeoutMs ?? 0),
    DEPLOYSTACK_HANDSHAKE_TIMEOUT_MS: String(opts.handshakeTimeoutMs ?? 20_000),
    DEPLOYSTACK_PROCESS_KILL_GRACE_MS: String(opts.killGraceMs ?? 1000),
    DEPLOYSTACK_LIMIT_MEMORY_MB: String(limits.memoryMb),
    DEPLOYSTACK_LIMIT_CPU: String(limits.cpuCores),
    DEPLOYSTACK_LIMIT_PIDS: String(limits.maxProcesses),
    DEPLOYSTACK_LIMIT_CPU_SECONDS: String(limits.cpuSeconds),
    ...(opts.health
      ? {
          DEPLOYSTACK_PROCESS_PING_INTERVAL_MS: String(opts.health.pingIntervalMs),
          DEPLOYSTACK_PROCESS_PING_TIMEOUT_MS: String(opts.health.pingTimeoutMs),
          DEPLOYSTACK_PROCESS_UNRESPONSIVE_PINGS: String(opts.health.after),
          DEPLOYSTACK_PROCESS_RESTART_UNRESPONSIVE: String(opts.health.restart),
        }
      : {}),
  });
  const moduleRef = await Test.createTestingModule({
    imports: [TestGlobals.forRoot(config), ProcessModule],
  })
    .overrideProvider(ProcessTuning)
    .useValue(ProcessTuning.with({ reaperIntervalMs: 0, ...opts.tuning }))
    .compile();
  moduleRef.useLogger(false);
  const events: SatelliteEvent[] = [];
  moduleRef.get(EventBusService).subscribe((e) => events.push(e));
  await moduleRef.init();
  return {
    manager: moduleRef.get(ProcessManagerService),
    dataDir,
    events,
    eventsOf: <K extends SatelliteEventType>(type: K) =>
      events.filter((e): e is SatelliteEvent<K> => e.type === type),
    close: () => moduleRef.close(),
  };
}

let counter = 0;

export function stdioDef(
  over: Partial<StdioServerDefinition> & { args: string[] },
): StdioServerDefinition {
  const id = over.id ?? `srv-${process.pid}-${++counter}`;
  return {
    id,
    slug: over.slug ?? id,
    team: over.team ?? 'team-a',
    enabled: true,
    secrets: [],
    transport: 'stdio',
    command: process.execPath,
    env: {},
    ...over,
  };
}

export const newClient = () =>
  new Client({ name: 'process-e2e', version: '1.0.0' }, { capabilities: {} });

export function callTool(
  manager: ProcessManagerService,
  id: string,
  name: string,
  args: Record<string, unknown> = {},
  timeout = 20_000,
): Promise<CallToolResult> {
  return manager.withClient(id, (client) =>
    client.request(
      { method: 'tools/call', params: { name, arguments: args } },
      CallToolResultSchema,
      { timeout },
    ),
  );
}

export const textOf = (r: CallToolResult) => (r.content[0] as { text: string }).text;

/** Live (non-zombie) processes whose environment holds `marker` (children inherit it). */
export function processesWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
