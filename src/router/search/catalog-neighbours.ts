/**
 * Related words from the catalog's own text (no word list): for a query word, the words that the
 * tools using it hold far more often than the catalog at large (co-occurrence lift, as in local
 * co-occurrence analysis for query expansion). "pod" → namespace, container; a word the tools of
 * one product share points at that product's other words. Kept per tool and updated per server,
 * like the index; worked out per query over the few tools that hold the word.
 */
export interface Neighbour {
  readonly term: string;
  /** 0..1: the share of the word's tools that also hold `term`. */
  readonly share: number;
}

/** A word held by more tools than this share is too common to say what its neighbours are. */
const MAX_WORD_SHARE = 0.05;
/** A neighbour must stand in at least this many of the word's tools… */
const MIN_SUPPORT = 2;
/** …in at least this share of them… */
const MIN_SHARE = 0.5;
/** …and be at least this many times as frequent there as in the catalog. */
const MIN_LIFT = 5;
const MAX_NEIGHBOURS = 4;

export class CatalogNeighbours {
  /** term → paths of the tools whose document holds it. */
  private readonly postings = new Map<string, Set<string>>();
  /** path → distinct terms of its document. */
  private readonly toolTerms = new Map<string, readonly string[]>();

  add(path: string, terms: readonly string[]): void {
    this.toolTerms.set(path, terms);
    for (const term of terms) {
      let paths = this.postings.get(term);
      if (!paths) this.postings.set(term, (paths = new Set()));
      paths.add(path);
    }
  }

  remove(path: string): void {
    for (const term of this.toolTerms.get(path) ?? []) {
      const paths = this.postings.get(term);
      paths?.delete(path);
      if (paths?.size === 0) this.postings.delete(term);
    }
    this.toolTerms.delete(path);
  }

  /** The neighbours of `term`, strongest first; none for a common or unknown word. */
  of(term: string): Neighbour[] {
    const paths = this.postings.get(term);
    const n = this.toolTerms.size;
    if (!paths || paths.size < MIN_SUPPORT || paths.size > MAX_WORD_SHARE * n) return [];
    const counts = new Map<string, number>();
    for (const path of paths) {
      for (const t of this.toolTerms.get(path) ?? []) {
        if (t !== term) counts.set(t, (counts.get(t) ?? 0) + 1);
      }
    }
    const found: Array<Neighbour & { lift: number }> = [];
    for (const [t, count] of counts) {
      const share = count / paths.size;
      if (count < MIN_SUPPORT || share < MIN_SHARE) continue;
      const lift = share / ((this.postings.get(t)?.size ?? 1) / n);
      if (lift >= MIN_LIFT) found.push({ term: t, share, lift });
    }
    return found
      .sort((a, b) => b.share * Math.log(b.lift) - a.share * Math.log(a.lift))
      .slice(0, MAX_NEIGHBOURS)
      .map(({ term: t, share }) => ({ term: t, share }));
  }
}
