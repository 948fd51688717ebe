import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createApp } from '../../src/app.factory.js';
import { loadSatelliteConfig } from '../../src/config/config.loader.js';
import type { Clock } from '../../src/events/clock.js';
import { ServerRegistryService } from '../../src/discovery/server-registry.service.js';

export interface Satellite {
  readonly app: NestFastifyApplication;
  readonly baseUrl: string;
  readonly mcpUrl: string;
  readonly configPath: string;
  readonly dir: string;
  writeConfig(servers: Record<string, unknown>): void;
  stop(): Promise<void>;
}

/**
 * Boots the whole satellite in this process on an ephemeral loopback port, with a standalone
 * config file holding `servers`, and waits until the configuration has been applied.
 * `options.clock`: a `ManualClock` (test/support/manual-clock.ts) in place of the wall clock.
 */
export async function startSatellite(
  servers: Record<string, unknown>,
  env: Record<string, string> = {},
  options: { clock?: Clock } = {},
): Promise<Satellite> {
  const dir = mkdtempSync(join(tmpdir(), 'satellite-e2e-'));
  const configPath = join(dir, 'mcp.json');
  const writeConfig = (s: Record<string, unknown>) =>
    writeFileSync(configPath, JSON.stringify({ mcpServers: s }, null, 2));
  writeConfig(servers);
  const config = loadSatelliteConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    PORT: '0',
    DEPLOYSTACK_MCP_CONFIG: configPath,
    DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
    DEPLOYSTACK_SANDBOX: 'none',
    DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
    ...env,
  });
  const app = await createApp(config, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as { port: number };
  const registry = app.get(ServerRegistryService);
  const deadline = Date.now() + 60_000;
  while (!registry.isApplied()) {
    if (Date.now() > deadline) throw new Error('configuration was not applied within 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    baseUrl,
    mcpUrl: `${baseUrl}/mcp`,
    configPath,
    dir,
    writeConfig,
    stop: () => app.close(),
  };
}

/** The real SDK client over Streamable HTTP. */
export async function connectClient(
  url: string,
  name = 'e2e-client',
  requestInit?: RequestInit,
): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  // The SDK's 1.x client resumes a stream after a JSON-RPC error response as if none had come
  // (typescript-sdk PR #2638), on a timer its close() may not clear: timers that outlive the test.
  // The satellite ends such resumptions (resumable-streams.e2e-spec.ts); these clients don't try.
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      ...(requestInit ? { requestInit } : {}),
      reconnectionOptions: {
        maxRetries: 0,
        initialReconnectionDelay: 1000,
        maxReconnectionDelay: 1000,
        reconnectionDelayGrowFactor: 1,
      },
    }),
  );
  return client;
}

/** Polls `fn` until it returns something other than undefined/false (bounded). */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
