import { Injectable } from '@nestjs/common';

/** The wall clock behind an injectable, so tests can move time (docs/style.md §3). */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
