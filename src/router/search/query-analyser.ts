import { type Action, queryAction, queryReadScope, type ReadScope } from './action-intent.js';
import { annotateEntities } from './query-entities.js';
import { isContentWord, splitWords, stemWord } from './text-normaliser.js';

/** One meaningful word of the query with the terms that stand for it, each with a weight. */
export interface QueryConcept {
  /** The stemmed query word itself. */
  readonly stem: string;
  /** stem → weight: the word itself at 1, its CamelCase parts (and typo forms) lower. */
  readonly terms: ReadonlyMap<string, number>;
  /**
   * Where the word first stands among the query's meaningful words (stop words skipped): words
   * one apart stand together (phrases). Quoted words come after a gap.
   */
  readonly position: number;
  /**
   * Which clause of the query's text the word stands in (0, 1, …: split at sentence and clause
   * punctuation and at conjunctions, `splitClauses`); -1 for a label's or quoted words.
   */
  readonly clause: number;
}

export interface AnalysedQuery {
  readonly concepts: QueryConcept[];
  /** What the query asks to do, when it says so (a verb, or being a question). */
  readonly action: Action | undefined;
  /** Whether a read is about one named thing or asks which / all / to find (`ReadScope`). */
  readonly scope: ReadScope | undefined;
  /** Words of a leading label ("Google Maps: …", "memory server: …"), as written, lowercase. */
  readonly label: string[];
}

export interface QueryAnalyserOptions {
  /** Weight of a quoted word ('Old roadmap'), or a file or repository name: data, not intent. */
  readonly quotedWeight?: number;
  /** Name things with a kind (URLs, files, repositories, SQL); false for ablation. */
  readonly entities?: boolean;
  /**
   * Weight of the kind of a thing the query names (url, file, repository, number), read from the
   * thing's form by `annotateEntities`: the query says it without words, so it counts a little
   * more than a word (1.5; 1 turns it off).
   */
  readonly entityKindWeight?: number;
}

const CAMEL_WORD = /\b[\p{L}\p{N}]*\p{Ll}\p{Lu}[\p{L}\p{N}]*\b/gu;
const CAMEL_PART_WEIGHT = 0.5;
/**
 * Issue 13, part 2 (docs/search.md, "Ablation"): 1.25–2 gained or held on every fold of the three
 * sets; 1.5, the smaller lift where the agent-style set's three folds all gain.
 */
const ENTITY_KIND_WEIGHT = 1.5;
/**
 * A short leading label before a colon names or describes the product ("Sentry: which
 * projects…", "weather service: 5-day forecast", "spreadsheet or office documents: append rows");
 * agents also chain them ("server: github tool: create_issue"), so up to three are read, and all
 * but the text after the last colon is the label.
 */
const LABEL = /^\s*([\p{L}\p{N}][\p{L}\p{N} .,&/'()_-]{0,60}?):\s/u;
const MAX_LABELS = 3;
/** A label holds at most this many words; a longer run before a colon is a sentence. */
const LABEL_MAX_WORDS = 8;
/**
 * Text in quotes: 'Old roadmap', "Payment successful", “Bugs”. A quote opens after a space or
 * bracket and closes before one, so apostrophes (it's, Jenny's, users') never open one.
 */
const QUOTED = /(?<=^|[\s(])(['"‘“])(.+?)(?:['"’”])(?=[\s.,;:!?)]|$)/g;

/**
 * Turns a query into concepts: stop words dropped, words stemmed, things with a kind named. No
 * word lists: synonyms, related words, abbreviations and idioms written by hand were fitted to
 * the dev queries and removed (docs/search-tuning.md); WordNet synonyms were measured and lost.
 */
export class QueryAnalyser {
  private readonly quotedWeight: number;
  private readonly entities: boolean;
  private readonly entityKindWeight: number;
  private kindStems = new Set<string>();
  /** The parts of the CamelCase words of the query being analysed. */
  private camelParts = new Map<string, Map<string, number>>();

  constructor(options: QueryAnalyserOptions = {}) {
    this.quotedWeight = options.quotedWeight ?? 0.3;
    this.entities = options.entities ?? true;
    this.entityKindWeight = options.entityKindWeight ?? ENTITY_KIND_WEIGHT;
  }

  analyse(query: string): AnalysedQuery {
    const concepts = new Map<string, QueryConcept>();
    const quoted: string[] = [];
    // A CamelCase word is one word here (GitHub, CircleCI), its parts only a weak alternative.
    const parts = new Map<string, Map<string, number>>();
    const annotated = this.entities ? annotateEntities(query) : query;
    // The words the annotation added: the kinds of the things the query names (url, file, …).
    const added = new Map<string, number>();
    for (const w of splitWords(annotated)) added.set(w, (added.get(w) ?? 0) + 1);
    for (const w of splitWords(query)) added.set(w, (added.get(w) ?? 0) - 1);
    this.kindStems = new Set([...added].filter(([, n]) => n > 0).map(([w]) => stemWord(w)));
    const plain = annotated
      .replace(QUOTED, (_m, _open, text: string) => {
        quoted.push(text);
        return ' ';
      })
      .replace(CAMEL_WORD, (word) => {
        const joined = stemWord(word.toLowerCase());
        const split = splitWords(word).filter(isContentWord).map(stemWord);
        parts.set(joined, new Map(split.map((p) => [p, CAMEL_PART_WEIGHT])));
        return word.toLowerCase();
      });
    this.camelParts = parts;
    const { label, rest: unlabelled } = splitLabel(plain);
    const labelWords = splitWords(label);
    // The label's words come first in the query; they are added after the rest so that a word
    // in both counts at full weight.
    const labelCount = labelWords.filter(isContentWord).length;
    let next = labelCount;
    splitClauses(unlabelled).forEach((clause, i) => {
      next = this.addConcepts(concepts, splitWords(clause), 1, next, i);
    });
    this.addConcepts(concepts, labelWords, 1, 0, -1);
    // Quoted text names a thing (a page title, a label, a button's text): it tells which tool
    // only a little, and never what the query asks to do.
    this.addConcepts(concepts, splitWords(quoted.join(' ')), this.quotedWeight, next + 1, -1);
    return {
      concepts: [...concepts.values()],
      action: queryAction(splitWords(unlabelled), unlabelled),
      // Entities count as references: a file, a repository, a URL is one thing.
      scope: queryReadScope(splitWords(unlabelled), annotated),
      label: labelWords,
    };
  }

  /** Adds the concepts of `words` from `position` on; answers the position after the last. */
  private addConcepts(
    into: Map<string, QueryConcept>,
    words: string[],
    scale: number,
    position: number,
    clause: number,
  ): number {
    for (const word of words) {
      if (!isContentWord(word)) continue;
      const stem = stemWord(word);
      if (into.has(stem)) {
        position++;
        continue;
      }
      const kind = scale === 1 && this.kindStems.has(stem) ? this.entityKindWeight : 1;
      const terms = new Map<string, number>([[stem, scale * kind]]);
      for (const [term, weight] of this.camelParts.get(stem) ?? []) {
        if (!terms.has(term)) terms.set(term, weight * scale);
      }
      into.set(stem, { stem, terms, position: position++, clause });
    }
    return position;
  }
}

/** The leading label(s) of a query and the rest; no label when the rest would be empty. */
export function splitLabel(query: string): { label: string; rest: string } {
  let rest = query;
  const labels: string[] = [];
  for (let i = 0; i < MAX_LABELS; i++) {
    const match = LABEL.exec(rest);
    if (!match || splitWords(match[1]).length > LABEL_MAX_WORDS) break;
    const after = rest.slice(match[0].length);
    if (splitWords(after).length === 0) break;
    labels.push(match[1]);
    rest = after;
  }
  return { label: labels.join(' '), rest };
}

/**
 * Where a clause ends: sentence and clause punctuation followed by a space (not the dot of a file
 * name or the comma of 1,000), a dash between spaces, and the English conjunctions that are stop
 * words (a closed class of the grammar; conjunctions that are content words, such as "before",
 * stay words of the query).
 */
const CLAUSE_BREAK =
  /[.;:!?,]+(?=\s|$)|\s[-\u2013\u2014]+\s|\b(?:and|but|then|so|where|which|when)\b/giu;

/** A query's text split into clauses ("list the tables, the data lives in our warehouse"). */
export function splitClauses(text: string): string[] {
  return text
    .split(CLAUSE_BREAK)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}
