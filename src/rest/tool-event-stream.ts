import type { FastifyReply } from 'fastify';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ProgressEvent } from './rest-tools.service.js';
import type { Problem } from './tool-problems.js';

/** True when the client asked for the streamed answer of a call. */
export function wantsEventStream(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((part) => part.split(';')[0].trim().toLowerCase() === 'text/event-stream');
}

/**
 * The streamed answer of `POST /api/tools/{tool_path}/call` (docs/rest.md "Streaming"): SSE events
 * `progress` while the tool runs, then one `result` (or one `error`, a problem) and the end. The
 * stream opens with the first event, so a call refused before any progress (unknown tool, bad
 * arguments, quota) still gets its own HTTP status.
 */
export class ToolEventStream {
  private opened = false;

  constructor(private readonly reply: FastifyReply) {}

  get isOpen(): boolean {
    return this.opened;
  }

  progress(event: ProgressEvent): void {
    this.write('progress', event);
  }

  result(result: CallToolResult): void {
    this.write('result', result);
    this.reply.raw.end();
  }

  /** A failure after the stream opened: the problem as the last event. */
  error(problem: Problem): void {
    this.write('error', problem);
    this.reply.raw.end();
  }

  private write(event: string, data: unknown): void {
    const res = this.reply.raw;
    if (res.destroyed || res.writableEnded) return;
    if (!this.opened) {
      this.opened = true;
      this.reply.hijack();
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
    }
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}

/** Aborted when the client goes away before its answer is written. */
export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client went away'));
  });
  return controller.signal;
}
