import 'reflect-metadata';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { DataDirLock } from './config/data-dir-lock.js';
import { ClientErrorFilter } from './client-error.filter.js';
import type { SatelliteConfig } from './config/satellite-config.js';
import type { Clock } from './events/clock.js';
import { MalformedJsonBody } from './mcp/json-body.js';
import { MetricsService } from './metrics/metrics.service.js';

const BODY_LIMIT = 4 * 1024 * 1024;

/**
 * Builds the whole application (used by main.ts and by the e2e tests). First of all it locks
 * `DEPLOYSTACK_DATA_DIR` (DataDirLock: one data directory, one satellite), before any module
 * touches the directory (leftover sweep, SQLite stores, servers); throws DataDirLockedError when
 * another satellite holds it. `app.close()` releases the lock after every shutdown hook has run.
 */
export async function createApp(
  config: SatelliteConfig,
  options: { clock?: Clock } = {},
): Promise<NestFastifyApplication> {
  const lock = DataDirLock.acquire(config.dataDir);
  try {
    const app = await build(config, options);
    // Released after every shutdown hook (children killed, cgroups and stores closed), so not in
    // a provider's hook, whose order across modules is Nest's business. NestFactory's proxies
    // swallow assignments and look methods up on the instance at each call, so the instance gets
    // its own `close` (defineProperty passes through them) that runs the class's close first.
    const close = (Object.getPrototypeOf(app) as { close: (this: unknown) => Promise<void> }).close;
    Object.defineProperty(app, 'close', {
      configurable: true,
      writable: true,
      value: async function (this: unknown): Promise<void> {
        try {
          await close.call(this);
        } finally {
          lock.release();
        }
      },
    });
    return app;
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function build(
  config: SatelliteConfig,
  options: { clock?: Clock },
): Promise<NestFastifyApplication> {
  // A client has `requestTimeoutMs` to send its whole request, headers and body (Fastify's default
  // is no limit: a body that stalls or trickles would hold its socket and buffers forever); Node
  // then answers 408 and closes. It checks open connections every `connectionsCheckingInterval`.
  // Responses (SSE streams, long tool calls) are not bounded by it: the request is complete.
  const requestTimeout = config.http.requestTimeoutMs;
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    requestTimeout,
    http: {
      headersTimeout: Math.min(60_000, requestTimeout),
      connectionsCheckingInterval: Math.min(5_000, Math.max(250, Math.floor(requestTimeout / 4))),
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, options),
    adapter,
    {
      bufferLogs: true,
      abortOnError: false,
      // Body parsing is ours (below), so that /mcp can answer parse errors the JSON-RPC way.
      bodyParser: false,
    },
  );
  app.useLogger(app.get(Logger));
  // A body cut off, too large or unparsable is the client's doing: its 4xx, logged at debug.
  app.useGlobalFilters(new ClientErrorFilter(app.getHttpAdapter()));

  const fastify = app.getHttpAdapter().getInstance();
  // `/mcp` must answer malformed JSON with JSON-RPC -32700 and let the SDK judge content types
  // (415/406), so JSON is parsed here and any other body is handed over as text.
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_req, text, done) => {
      const raw = typeof text === 'string' ? text : text.toString('utf8');
      if (raw.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(raw));
      } catch (err) {
        done(null, new MalformedJsonBody((err as Error).message));
      }
    },
  );
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_req, text, done) => done(null, text),
  );

  // Request metrics on the raw response, so hijacked (streaming) MCP replies are counted too.
  const metrics = app.get(MetricsService);
  fastify.addHook('onRequest', (req, reply, done) => {
    const started = process.hrtime.bigint();
    const route = req.routeOptions.url ?? 'unmatched';
    reply.raw.once('finish', () => {
      const labels = { method: req.method, route };
      metrics.httpRequests.inc({ ...labels, status: String(reply.raw.statusCode) });
      if (!String(reply.raw.getHeader('content-type') ?? '').includes('text/event-stream')) {
        metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      }
    });
    done();
  });

  const doc = new DocumentBuilder()
    .setTitle('DeployStack Satellite')
    .setDescription(
      'MCP edge gateway: `/mcp` (two meta-tools), `/api/tools` (search and call tools over plain HTTP), status, health and debug routes.',
    )
    .setVersion(config.version)
    .addBearerAuth()
    .build();
  SwaggerModule.setup('documentation', app, () => SwaggerModule.createDocument(app, doc));
  return app;
}
