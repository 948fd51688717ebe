import type { IndexedTool } from './indexed-tool.js';

export interface ScoredTool {
  readonly tool: IndexedTool;
  readonly score: number;
  readonly factors?: Readonly<Record<string, number>>;
}

/**
 * The best `limit` hits of a stream, best first, without sorting the whole stream (a generic
 * query can match thousands of tools; an answer holds at most 50). Ties go to the smaller path
 * so that answers are stable.
 */
export class TopHits {
  private readonly limit: number;
  private readonly hits: ScoredTool[] = [];

  constructor(limit: number) {
    this.limit = Math.max(0, limit);
  }

  offer(hit: ScoredTool): void {
    if (this.limit === 0) return;
    const full = this.hits.length >= this.limit;
    if (full && !better(hit, this.hits[this.hits.length - 1])) return;
    let i = full ? this.hits.length - 1 : this.hits.length;
    if (full) this.hits.pop();
    while (i > 0 && better(hit, this.hits[i - 1])) i--;
    this.hits.splice(i, 0, hit);
  }

  /** The score a hit must beat to enter (or tie, with a smaller path); -Infinity until full. */
  floor(): number {
    return this.limit > 0 && this.hits.length >= this.limit
      ? this.hits[this.hits.length - 1].score
      : -Infinity;
  }

  sorted(): ScoredTool[] {
    return [...this.hits];
  }
}

function better(a: ScoredTool, b: ScoredTool): boolean {
  return a.score > b.score || (a.score === b.score && a.tool.path < b.tool.path);
}
