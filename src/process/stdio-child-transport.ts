import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { LineSplitter } from './line-splitter.js';

export interface StdioChildTransportHooks {
  /** A stdout line grew past the cap: the owner kills the process and reports it. */
  onLineTooLong(maxLineBytes: number): void;
  /** A stdout line that is not a JSON-RPC message: reported, not fatal. */
  onGarbage(line: string): void;
  /** The SDK client closed the transport: the owner terminates the process tree. */
  onCloseRequested(): void;
  /** A request the satellite sent was answered after `ms` (call latency, process-health.ts). */
  onAnswered?(method: string, ms: number): void;
  /** The clock the round trips are measured with (ProcessClock.now). */
  now?(): number;
}

/** Requests awaiting an answer that are remembered for timing; older ones are forgotten. */
const MAX_TIMED = 256;

/**
 * MCP stdio transport (newline-delimited JSON-RPC, spec "Transports › stdio") over a child the
 * process module spawned itself. Unlike the SDK's StdioClientTransport it caps the line length and
 * leaves process-group termination to its owner; the owner calls `markClosed()` when the child is
 * gone, which makes the SDK reject every pending request at once ("Connection closed").
 */
export class StdioChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  private readonly splitter: LineSplitter;
  private started = false;
  private closed = false;
  private readonly timed = new Map<string | number, { method: string; at: number }>();

  constructor(
    private readonly io: { readonly stdin: Writable; readonly stdout: Readable },
    private readonly maxLineBytes: number,
    private readonly hooks: StdioChildTransportHooks,
  ) {
    this.splitter = new LineSplitter(maxLineBytes);
  }

  start(): Promise<void> {
    if (this.started) return Promise.reject(new Error('StdioChildTransport already started'));
    this.started = true;
    this.io.stdout.on('data', this.onData);
    // EPIPE and friends when the child died: the exit handler closes the transport.
    this.io.stdin.on('error', (err: Error) => this.onerror?.(err));
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the MCP server process has exited'));
    if (this.hooks.onAnswered && 'method' in message && 'id' in message) {
      this.timed.set(message.id, { method: message.method, at: this.hooks.now?.() ?? Date.now() });
      const oldest = this.timed.keys().next();
      if (this.timed.size > MAX_TIMED && !oldest.done) this.timed.delete(oldest.value);
    }
    return new Promise((resolve, reject) => {
      this.io.stdin.write(`${JSON.stringify(message)}\n`, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    if (!this.closed) this.hooks.onCloseRequested();
    this.markClosed();
    return Promise.resolve();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Called by the owner once the process is gone (or being killed). Idempotent. */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.timed.clear();
    this.io.stdout.off('data', this.onData);
    this.splitter.reset();
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    const { lines, overflow } = this.splitter.push(chunk);
    for (const line of lines) this.deliver(line);
    if (overflow) {
      this.io.stdout.off('data', this.onData);
      this.io.stdout.destroy();
      this.onerror?.(new Error(`stdout line longer than ${this.maxLineBytes} bytes`));
      this.hooks.onLineTooLong(this.maxLineBytes);
    }
  };

  private deliver(line: string): void {
    if (this.closed || line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.hooks.onGarbage(line);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(json);
    if (!parsed.success) {
      this.hooks.onGarbage(line);
      return;
    }
    this.timeAnswer(parsed.data);
    this.onmessage?.(parsed.data);
  }

  private timeAnswer(message: JSONRPCMessage): void {
    if (!('id' in message) || 'method' in message || message.id === undefined) return;
    const sent = this.timed.get(message.id);
    if (!sent) return;
    this.timed.delete(message.id);
    this.hooks.onAnswered?.(sent.method, (this.hooks.now?.() ?? Date.now()) - sent.at);
  }
}
