import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { SatelliteConfig } from './satellite-config.js';
import type { SecretRedactor } from './secret-redactor.js';

/**
 * pino through nestjs-pino: JSON in production, pretty in development, secrets never logged
 * (docs/style.md §8): known secret fields by path, configured secret values wherever they appear.
 */
export function loggerOptions(config: SatelliteConfig, redactor: SecretRedactor): Params {
  const pretty = config.env === 'development';
  return {
    pinoHttp: {
      level: config.logLevel,
      ...(pretty
        ? {
            transport: {
              target: 'pino-pretty',
              options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' },
            },
          }
        : {}),
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["mcp-session-id"]',
          'res.headers["mcp-session-id"]',
          '*.api_key',
          '*.registration_token',
          '*.token',
          '*.access_token',
          '*.refresh_token',
        ],
        censor: '[REDACTED]',
      },
      genReqId: (req: IncomingMessage) => {
        const given = req.headers['x-request-id'];
        return typeof given === 'string' && given.length <= 128 ? given : randomUUID();
      },
      // Health probes every few seconds would drown the log.
      autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') },
      formatters: { log: (obj: Record<string, unknown>) => redactor.redact(obj) },
      hooks: {
        logMethod(args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(
            this,
            args.map((a) => redactor.redact(a)),
          );
        },
      },
    },
  };
}
