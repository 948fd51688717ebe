/** What a client that sent no usable `clientInfo.name` is counted as. */
export const UNKNOWN_LABEL = 'unknown';
/** What names past the cap are counted as. */
export const OTHER_LABEL = 'other';
const MAX_NAME_LENGTH = 64;

/**
 * A bounded set of names for free-text values (a client's `clientInfo.name` is whatever the client
 * says): the first `max` distinct names are kept as they are, later ones count as "other", so the
 * usage rows and the Prometheus series stay bounded whatever clients send (docs/usage.md
 * "Bounds").
 */
export class LabelCap {
  private readonly names = new Set<string>();

  constructor(private readonly max: number) {}

  /** Names already known (from the store at start) take their places first. */
  seed(names: Iterable<string>): void {
    for (const name of names) {
      if (this.names.size >= this.max) return;
      if (name !== OTHER_LABEL) this.names.add(name);
    }
  }

  label(raw: string | undefined): string {
    const name = normalizeName(raw);
    if (name === UNKNOWN_LABEL || this.names.has(name)) return name;
    if (this.names.size >= this.max) return OTHER_LABEL;
    this.names.add(name);
    return name;
  }
}

/** Trimmed, control characters removed, at most 64 characters; empty is "unknown". */
export function normalizeName(raw: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const name = (raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return name === '' ? UNKNOWN_LABEL : name.slice(0, MAX_NAME_LENGTH);
}
