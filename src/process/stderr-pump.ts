import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { ServerLogEntry } from '../events/event-map.js';
import type { Clock, TimerHandle } from '../events/clock.js';
import type { ProcessTuning } from './process-tuning.js';

export interface StderrSink {
  /** One line that passed the rate limit, for the satellite's log. */
  log(entry: ServerLogEntry): void;
  /** A batch for `mcp.server.logs`. */
  batch(entries: ServerLogEntry[]): void;
}

const RECENT_LINES = 20;

/**
 * A server's stderr, line by line, into the log and `mcp.server.logs`: lines are truncated at a
 * cap, rate-limited by a token bucket (a chatty or hostile server cannot flood the log or the
 * event queue; drops are counted and reported), and the last lines are kept for crash reports.
 */
export class StderrPump {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private skipping = false;
  private tokens: number;
  private refilledAt: number;
  private dropped = 0;
  private pending: ServerLogEntry[] = [];
  private flushTimer?: TimerHandle;
  private readonly recentLines: string[] = [];

  constructor(
    private readonly deps: {
      readonly tuning: ProcessTuning;
      readonly clock: Clock;
      readonly redact: (s: string) => string;
      readonly sink: StderrSink;
    },
  ) {
    this.tokens = deps.tuning.stderrBurst;
    this.refilledAt = deps.clock.now();
  }

  attach(stream: Readable): void {
    stream.on('data', (chunk: Buffer) => this.push(chunk));
    stream.on('error', () => undefined);
  }

  push(chunk: Buffer): void {
    const max = this.deps.tuning.maxStderrLineBytes;
    let s = this.decoder.write(chunk);
    for (;;) {
      const nl = s.indexOf('\n');
      if (nl === -1) {
        if (!this.skipping) this.carry += s;
        if (this.carry.length > max) {
          this.line(this.carry);
          this.carry = '';
          this.skipping = true;
        }
        return;
      }
      const piece = s.slice(0, nl);
      if (this.skipping) this.skipping = false;
      else this.line(this.carry + piece);
      this.carry = '';
      s = s.slice(nl + 1);
    }
  }

  /** The last lines (rate limit or not), newest last, for crash and handshake-failure messages. */
  recent(): string[] {
    return [...this.recentLines];
  }

  /** Sends what is pending and stops the timer (the process is gone). */
  close(): void {
    if (this.carry.trim() !== '') this.line(this.carry);
    this.carry = '';
    this.reportDropped();
    this.flush();
  }

  private line(raw: string): void {
    const max = this.deps.tuning.maxStderrLineBytes;
    const line = raw.replace(/\r$/, '');
    const text = this.deps.redact(line.length > max ? `${line.slice(0, max)} …[truncated]` : line);
    if (text.trim() === '') return;
    this.recentLines.push(text);
    if (this.recentLines.length > RECENT_LINES) this.recentLines.shift();
    if (!this.take()) {
      this.dropped++;
      return;
    }
    this.reportDropped();
    this.enqueue({
      level: levelOf(text),
      message: text,
      timestamp: new Date(this.deps.clock.now()).toISOString(),
    });
  }

  private take(): boolean {
    const now = this.deps.clock.now();
    const { stderrBurst, stderrLinesPerSecond } = this.deps.tuning;
    this.tokens = Math.min(
      stderrBurst,
      this.tokens + ((now - this.refilledAt) * stderrLinesPerSecond) / 1000,
    );
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private reportDropped(): void {
    if (this.dropped === 0) return;
    const message = `${this.dropped} stderr line(s) dropped by the rate limit (${this.deps.tuning.stderrLinesPerSecond}/s)`;
    this.dropped = 0;
    this.enqueue({
      level: 'warn',
      message,
      timestamp: new Date(this.deps.clock.now()).toISOString(),
    });
  }

  private enqueue(entry: ServerLogEntry): void {
    this.deps.sink.log(entry);
    this.pending.push(entry);
    if (this.pending.length >= this.deps.tuning.logBatchSize) this.flush();
    else this.flushTimer ??= this.deps.clock.after(this.deps.tuning.logFlushMs, () => this.flush());
  }

  private flush(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];
    this.deps.sink.batch(entries);
  }
}

function levelOf(line: string): ServerLogEntry['level'] {
  if (/\b(error|fatal|exception|panic)\b/i.test(line)) return 'error';
  if (/\bwarn(ing)?\b/i.test(line)) return 'warn';
  if (/\bdebug\b/i.test(line)) return 'debug';
  return 'info';
}
