import type { LoggerService } from '@nestjs/common';

/** Keeps every log line (message and every argument, serialized) so tests can read them. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', message, rest);
  }

  /** Lines at the given level(s) that match. */
  find(
    pattern: RegExp,
    levels: readonly string[] = ['log', 'error', 'warn', 'debug', 'verbose'],
  ): string[] {
    return this.lines.filter(
      (l) => levels.some((level) => l.startsWith(`${level} `)) && pattern.test(l),
    );
  }

  private keep(level: string, message: unknown, rest: unknown[]): void {
    const text = [message, ...rest]
      .map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
      .join(' ');
    this.lines.push(`${level} ${text}`);
    if (process.env.SATELLITE_TEST_LOGS) process.stderr.write(`${level} ${text}\n`);
  }
}
