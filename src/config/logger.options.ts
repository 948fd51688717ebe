import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { type DestinationStream, pino } from 'pino';
import type { SatelliteConfig } from './satellite-config.js';
import type { SecretRedactor } from './secret-redactor.js';

/**
 * pino through nestjs-pino: JSON in production, pretty in development, secrets never logged
 * (docs/style.md §8): known secret fields by path, configured secret values wherever they appear.
 */
export function loggerOptions(config: SatelliteConfig, redactor: SecretRedactor): Params {
  const pretty = config.env === 'development';
  const options = {
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
  };
  if (pretty) return { pinoHttp: options };
  return { pinoHttp: [options, stdoutDestination()] };
}

/** How long a log line may wait in the buffer, at most. */
const LOG_FLUSH_MS = 100;
let stdout: DestinationStream | undefined;

/**
 * stdout, buffered: lines go out together when 8 KiB are buffered or every 100 ms, whichever
 * comes first, instead of one write(2) per line (a write per log line, two per tools/call, was
 * about 12 % of the satellite's CPU under load, docs/benchmarks.md "Transport"). pino flushes
 * what is left when the process exits. One per process: the apps of a test run share it.
 */
function stdoutDestination(): DestinationStream {
  if (stdout) return stdout;
  const dest = pino.destination({ dest: 1, sync: false, minLength: 8 * 1024 });
  // Exception to docs/style.md §3 (one clock): the logger exists before the app and its clock.
  setInterval(() => {
    try {
      dest.flush();
    } catch {
      // ended (the process is exiting): nothing left to flush
    }
  }, LOG_FLUSH_MS).unref();
  stdout = dest;
  return dest;
}
