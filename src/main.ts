import { createApp } from './app.factory.js';
import { ConfigError, loadSatelliteConfig } from './config/config.loader.js';
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
  const app = await createApp(config);
  await app.listen({ port: config.http.port, host: config.http.host });
  const url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${config.http.port}`;
  process.stdout.write(`satellite listening on ${url} (MCP endpoint ${url}/mcp, docs ${url}/documentation)\n`);

  // Shutdown is bounded: if closing sessions and children hangs, exit anyway.
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      process.stderr.write(`shutdown after ${signal} took longer than ${config.shutdownTimeoutMs} ms; exiting\n`);
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000);
    force.unref();
    // Readiness turns false and new sessions are refused before anything is closed.
    app.get(StatusContributors).markShuttingDown();
    app.get(McpTransportService).stopAccepting();
    app
      .close()
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
