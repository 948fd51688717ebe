import { Injectable } from '@nestjs/common';

export type CommandOutcome =
  | { readonly status: 'completed'; readonly result: Record<string, unknown> }
  | {
      readonly status: 'failed';
      readonly error_message: string;
      readonly result?: Record<string, unknown>;
    };

export interface LedgerEntry {
  readonly id: string;
  readonly type: string;
  /** Local receipt of the first delivery (epoch ms): the age used for expiry. */
  readonly receivedAt: number;
  state: 'running' | 'finished';
  outcome?: CommandOutcome;
  /** The backend acknowledged the result post. */
  reported: boolean;
}

/** Enough to cover every redelivery the backend could make; older ids are forgotten first. */
const CAPACITY = 2_000;

/**
 * Which command ids this satellite has seen, run and reported, so a redelivered command (its
 * result post failed) runs once and only its result is sent again. In memory: after a restart a
 * redelivered command runs again, which every handler tolerates (configure re-diffs, kill of a
 * stopped server fails harmlessly).
 */
@Injectable()
export class CommandLedger {
  private readonly entries = new Map<string, LedgerEntry>();

  /** The entry for this id, created (state `running`) on first sight. */
  receive(id: string, type: string, now: number): { entry: LedgerEntry; firstSight: boolean } {
    const existing = this.entries.get(id);
    if (existing) return { entry: existing, firstSight: false };
    const entry: LedgerEntry = { id, type, receivedAt: now, state: 'running', reported: false };
    this.entries.set(id, entry);
    this.evict();
    return { entry, firstSight: true };
  }

  finish(entry: LedgerEntry, outcome: CommandOutcome): void {
    entry.state = 'finished';
    entry.outcome = outcome;
  }

  markReported(entry: LedgerEntry): void {
    entry.reported = true;
  }

  /** Finished commands whose result the backend has not acknowledged yet. */
  unreported(): LedgerEntry[] {
    return [...this.entries.values()].filter((e) => e.state === 'finished' && !e.reported);
  }

  private evict(): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= CAPACITY) return;
      if (entry.state === 'finished') this.entries.delete(id);
    }
  }
}
