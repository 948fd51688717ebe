import type { AddressInfo } from 'node:net';
import { createApp } from './app.factory.js';
import { ConfigError, loadSatelliteConfig } from './config/config.loader.js';
import { DataDirLockError } from './config/data-dir-lock.js';
import { McpTransportService } from './mcp/mcp-transport.service.js';
import { StatusContributors } from './status/status-contributors.service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadSatelliteConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  let app;
  try {
    app = await createApp(config);
  } catch (err) {
    // Another satellite holds DEPLOYSTACK_DATA_DIR (or it cannot be locked): nothing was touched.
    if (err instanceof DataDirLockError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  await app.listen({ port: config.http.port, host: config.http.host });
  // The bound port, which differs from the configured one when PORT=0 (an ephemeral port).
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`;
  process.stdout.write(
    `satellite listening on ${url} (MCP endpoint ${url}/mcp, docs ${url}/documentation)\n`,
  );

  // Shutdown is bounded: if closing sessions and children hangs, exit anyway.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(
      () => {
        process.stderr.write(
          `shutdown after ${signal} took longer than ${config.shutdownTimeoutMs} ms; exiting\n`,
        );
        process.exit(1);
      },
      config.shutdownTimeoutMs + config.process.killGraceMs + 2000,
    );
    force.unref();
    // Readiness turns false and new sessions are refused before anything is closed; calls in
    // flight get the grace period to finish; then sessions, upstreams and children are closed.
    app.get(StatusContributors).markShuttingDown();
    const transport = app.get(McpTransportService);
    transport.stopAccepting();
    transport
      .drain(config.shutdownTimeoutMs)
      .then(({ drained, inFlight }) => {
        if (!drained)
          process.stderr.write(
            `shutdown: ${inFlight} call(s) still running after ${config.shutdownTimeoutMs} ms; closing\n`,
          );
        return app.close();
      })
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`shutdown failed: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
