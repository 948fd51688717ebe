/** What the debug route and /metrics show of a server's recent MCP requests. */
export interface LatencySummary {
  readonly lastMs: number;
  /** Mean over the last `window` answered requests. */
  readonly avgMs: number;
  readonly count: number;
}

/**
 * Round trips of the MCP requests the satellite sent one server process (tools/call,
 * tools/list, …; pings are the health probe's own figure), timed on the wire by its transport.
 */
export class CallLatency {
  private readonly recent: number[] = [];
  private total = 0;

  constructor(private readonly window = 20) {}

  record(ms: number): void {
    this.recent.push(ms);
    if (this.recent.length > this.window) this.recent.shift();
    this.total++;
  }

  summary(): LatencySummary | undefined {
    const last = this.recent[this.recent.length - 1];
    if (last === undefined) return undefined;
    const avg = this.recent.reduce((a, b) => a + b, 0) / this.recent.length;
    return { lastMs: last, avgMs: Math.round(avg * 10) / 10, count: this.total };
  }
}
