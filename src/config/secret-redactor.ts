/**
 * Replaces configured secret values (env values and headers of the server config, backend keys)
 * wherever they appear in a log line. Path-based redaction (pino `redact`) covers known fields
 * such as `authorization`; this covers secrets that end up inside messages.
 */
export class SecretRedactor {
  private secrets: string[] = [];

  /** Replaces the set of secrets of one source (e.g. the server config). */
  private readonly bySource = new Map<string, readonly string[]>();

  set(source: string, values: readonly string[]): void {
    this.bySource.set(
      source,
      values.filter((v) => v.length >= 4),
    );
    // Longest first, so a secret containing another is masked whole.
    this.secrets = [...new Set([...this.bySource.values()].flat())].sort(
      (a, b) => b.length - a.length,
    );
  }

  redact<T>(value: T): T {
    if (this.secrets.length === 0) return value;
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redactString(value);
    if (depth > 6 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.walk(v, depth + 1));
    if (value instanceof Error) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = this.walk(v, depth + 1);
    return out;
  }

  private redactString(s: string): string {
    let out = s;
    for (const secret of this.secrets)
      if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
    return out;
  }
}
