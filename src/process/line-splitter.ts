export interface SplitResult {
  readonly lines: string[];
  /** A line grew past the cap: everything buffered was dropped and the splitter must not be fed again. */
  readonly overflow: boolean;
}

/**
 * Splits a byte stream into newline-delimited lines with a hard cap on the line length, so a
 * peer that writes an endless line costs at most `maxLineBytes` of memory. Chunks are kept as a
 * list and joined once per line (no quadratic re-concatenation).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer): SplitResult {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (this.size + piece.length > this.maxLineBytes) return this.overflowed(lines);
      const line = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.parts = [];
      this.size = 0;
      lines.push(stripCr(line.toString('utf8')));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.size + rest.length > this.maxLineBytes) return this.overflowed(lines);
      this.parts.push(rest);
      this.size += rest.length;
    }
    return { lines, overflow: false };
  }

  /** Bytes held for the current, unfinished line. */
  pending(): number {
    return this.size;
  }

  reset(): void {
    this.parts = [];
    this.size = 0;
  }

  private overflowed(lines: string[]): SplitResult {
    this.reset();
    return { lines, overflow: true };
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
