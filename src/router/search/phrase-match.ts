/**
 * Phrases: two query words that stand next to each other in the query ("two numbers", "base
 * branch", "data source") and also next to each other in a tool's text say more than the two words
 * scattered over it. Both sides are analysed alike (stop words dropped, stemmed), so "the base of
 * the branch" and "base branch" read the same.
 */

/** Separates the fields of a tool's phrase text: a pair never spans two fields. */
const FIELD_BREAK = ' | ';

/** Two consecutive query words, each as the terms that say it (the word, a typo's correction). */
export interface QueryPair {
  readonly first: readonly string[];
  readonly second: readonly string[];
  /** How telling the pair is: the IDF of its less telling word. */
  readonly weight: number;
  /** The bits of its two words (`QueryWord.bit`): a tool must match both to hold the pair. */
  readonly mask: number;
}

/** A query word: where it stands, the terms that say it, and its bit in a tool's match mask. */
export interface QueryWord {
  readonly position: number;
  readonly terms: readonly string[];
  readonly bit: number;
}

/**
 * The text a tool's phrases are looked up in: its analysed fields (space-separated terms), padded
 * so that every term is enclosed in spaces, fields kept apart.
 */
export function phraseText(fields: readonly string[]): string {
  return ` ${fields.filter((f) => f !== '').join(FIELD_BREAK)} `;
}

/**
 * Pairs of query words that stand together (positions one apart, stop words skipped); `words`
 * are the query's words with their terms, a word left out (a server's name) breaks a pair.
 */
export function queryPairs(
  words: readonly QueryWord[],
  idf: (term: string) => number,
): QueryPair[] {
  const telling = (terms: readonly string[]) => Math.max(0, ...terms.map(idf));
  const at = new Map(words.map((w) => [w.position, w]));
  const pairs: QueryPair[] = [];
  for (const first of words) {
    const second = at.get(first.position + 1);
    if (!second) continue;
    const weight = Math.min(telling(first.terms), telling(second.terms));
    if (weight > 0) {
      pairs.push({
        first: first.terms,
        second: second.terms,
        weight,
        mask: first.bit | second.bit,
      });
    }
  }
  return pairs;
}

/**
 * The share (by weight, 0..1) of the query's pairs that the tool's text holds, in query order.
 * `matched`: the bits of the query words the tool matches at all; a pair whose words it doesn't
 * both match is not looked up.
 */
export function phraseShare(text: string, pairs: readonly QueryPair[], matched = -1): number {
  let total = 0;
  let held = 0;
  for (const pair of pairs) {
    total += pair.weight;
    if ((matched & pair.mask) === pair.mask && holdsPair(text, pair)) held += pair.weight;
  }
  return total > 0 ? held / total : 0;
}

function holdsPair(text: string, pair: QueryPair): boolean {
  for (const a of pair.first) {
    if (!text.includes(` ${a} `)) continue;
    for (const b of pair.second) if (text.includes(` ${a} ${b} `)) return true;
  }
  return false;
}
