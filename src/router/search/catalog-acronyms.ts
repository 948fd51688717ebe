/**
 * Abbreviations read from the catalog itself (no word list): a short query word whose letters are
 * the initials of a phrase that several tools' names or leads use stands for that phrase ("PR" →
 * pull request, "MR" → merge request), the way acronyms are found beside their long forms in
 * text. Phrases are counted per tool and updated per server, like the index.
 */

/** Query words of this many letters can be initials (2: "PR", 4: "SaaS"-like runs). */
const MIN_LETTERS = 2;
const MAX_LETTERS = 3;
/** A phrase stands for its initials only when this many tools use it. */
const MIN_TOOLS = 2;
/** Separates fields in the text given to `add`: a phrase never spans two fields. */
const FIELD_BREAK = '|';

export class CatalogAcronyms {
  /** initials → phrase (its words joined by spaces) → number of tools using it. */
  private readonly phrases = new Map<string, Map<string, number>>();
  /** path → the phrases its fields hold, each once, for removal. */
  private readonly byTool = new Map<string, string[]>();

  /** `fields`: the tool's analysed fields (space-separated terms), in which phrases are read. */
  add(path: string, fields: readonly string[]): void {
    const held = new Set<string>();
    for (const field of fields) {
      const words = field.split(' ').filter((w) => w !== '' && w !== FIELD_BREAK);
      for (let n = MIN_LETTERS; n <= MAX_LETTERS; n++) {
        for (let i = 0; i + n <= words.length; i++) held.add(words.slice(i, i + n).join(' '));
      }
    }
    for (const phrase of held) {
      const key = initials(phrase);
      let counts = this.phrases.get(key);
      if (!counts) this.phrases.set(key, (counts = new Map()));
      counts.set(phrase, (counts.get(phrase) ?? 0) + 1);
    }
    this.byTool.set(path, [...held]);
  }

  remove(path: string): void {
    for (const phrase of this.byTool.get(path) ?? []) {
      const key = initials(phrase);
      const counts = this.phrases.get(key);
      const left = (counts?.get(phrase) ?? 1) - 1;
      if (left > 0) counts?.set(phrase, left);
      else counts?.delete(phrase);
      if (counts?.size === 0) this.phrases.delete(key);
    }
    this.byTool.delete(path);
  }

  /**
   * The phrase (as its words) `word` abbreviates: the commonest phrase with those initials, if
   * more tools use it than `ownTools`, the tools that use the word itself (a word the catalog
   * uses as such, "api", "log", is no abbreviation). Undefined for most words.
   */
  expand(word: string, ownTools: number): string[] | undefined {
    if (word.length < MIN_LETTERS || word.length > MAX_LETTERS || !/^\p{L}+$/u.test(word)) {
      return undefined;
    }
    let best: [string, number] | undefined;
    for (const entry of this.phrases.get(word) ?? []) {
      if (entry[1] >= MIN_TOOLS && entry[1] > ownTools && (!best || entry[1] > best[1])) best = entry;
    }
    return best?.[0].split(' ');
  }
}

function initials(phrase: string): string {
  return phrase
    .split(' ')
    .map((w) => w[0])
    .join('');
}
