import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Clock } from './clock.js';

/**
 * The client requests being answered right now, on every edge that runs calls (`/mcp`, the direct
 * endpoints, `/message`, `/api/tools/…/call`), so a graceful shutdown waits for all of them
 * (docs/operations.md "Shutdown"). Provided globally by EventsModule, beside the clock.
 */
@Injectable()
export class InFlightRequests {
  private count = 0;
  private idle?: () => void;

  constructor(private readonly clock: Clock) {}

  /** Counts a request until its response has been written (or the client went away). */
  track(res: ServerResponse): void {
    this.count++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.count--;
      if (this.count === 0) this.idle?.();
    };
    res.once('finish', finish);
    res.once('close', finish);
  }

  /** Waits until no request is being answered, at most `timeoutMs`. */
  async drain(timeoutMs: number): Promise<{ drained: boolean; inFlight: number }> {
    if (this.count > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.clock.after(timeoutMs, resolve);
        this.idle = () => {
          timer.cancel();
          resolve();
        };
      });
    }
    return { drained: this.count === 0, inFlight: this.count };
  }
}
