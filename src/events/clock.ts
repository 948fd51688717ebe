import { Injectable } from '@nestjs/common';

/**
 * Wall-clock time behind an injectable, so tests can move time (docs/style.md §3). It lives in
 * `events` because that is the one feature module every other module may import; `src/mcp/clock.ts`
 * is the same idea for the mcp module, which nobody may import.
 */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
