import 'reflect-metadata';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { SatelliteConfig } from './config/satellite-config.js';
import { MalformedJsonBody } from './mcp/json-body.js';
import { MetricsService } from './metrics/metrics.service.js';

const BODY_LIMIT = 4 * 1024 * 1024;

/** Builds the whole application (used by main.ts and by the e2e tests). */
export async function createApp(config: SatelliteConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: BODY_LIMIT, return503OnClosing: true });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    abortOnError: false,
    // Body parsing is ours (below), so that /mcp can answer parse errors the JSON-RPC way.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));

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
    .setDescription('MCP edge gateway: `/mcp` (two meta-tools), status, health and debug routes.')
    .setVersion(config.version)
    .build();
  SwaggerModule.setup('documentation', app, () => SwaggerModule.createDocument(app, doc));
  return app;
}
