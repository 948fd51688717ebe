import type { Principal } from './principal.js';

export type TokenVerdict =
  | { readonly active: true; readonly principal: Principal }
  | { readonly active: false; readonly reason: string };

interface Entry {
  readonly verdict: TokenVerdict;
  readonly expiresAt: number;
}

/**
 * Introspection verdicts keyed by the SHA-256 of the token (the token itself is never kept),
 * with an index by user so a user's entries can be dropped at once. Bounded: the oldest entry
 * goes first when full.
 */
export class IntrospectionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<string>>();

  constructor(private readonly maxEntries = 10_000) {}

  get(key: string, now: number): TokenVerdict | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.delete(key);
      return undefined;
    }
    return entry.verdict;
  }

  set(key: string, verdict: TokenVerdict, expiresAt: number): void {
    this.delete(key);
    this.entries.set(key, { verdict, expiresAt });
    if (verdict.active) {
      const keys = this.byUser.get(verdict.principal.userId) ?? new Set<string>();
      keys.add(key);
      this.byUser.set(verdict.principal.userId, keys);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  /** Drops every cached verdict of one user; returns how many. */
  invalidateUser(userId: string): number {
    const keys = [...(this.byUser.get(userId) ?? [])];
    for (const key of keys) this.delete(key);
    return keys.length;
  }

  /** Drops expired entries; returns how many. */
  sweep(now: number): number {
    let dropped = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  size(): number {
    return this.entries.size;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    if (entry.verdict.active) {
      const userId = entry.verdict.principal.userId;
      const keys = this.byUser.get(userId);
      keys?.delete(key);
      if (keys?.size === 0) this.byUser.delete(userId);
    }
  }
}
