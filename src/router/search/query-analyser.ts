import { type Action, queryAction, queryReadScope, type ReadScope } from './action-intent.js';
import { annotateEntities } from './query-entities.js';
import { RELATED_GROUPS, RELATED_PHRASES } from './tool-associations.js';
import { isContentWord, splitWords, stemWord } from './text-normaliser.js';
import { ABBREVIATIONS, PHRASES, SYNONYM_GROUPS } from './tool-vocabulary.js';

/** One meaningful word of the query with the terms that stand for it, each with a weight. */
export interface QueryConcept {
  /** The stemmed query word itself. */
  readonly stem: string;
  /** stem → weight: the word itself at 1, its abbreviation forms and synonyms lower. */
  readonly terms: ReadonlyMap<string, number>;
  /**
   * Where the word first stands among the query's meaningful words (stop words skipped): words
   * one apart stand together (phrases). Quoted words come after a gap.
   */
  readonly position: number;
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
  /** Weight of a synonym from the tool vocabulary (the word itself weighs 1). */
  readonly synonymWeight?: number;
  /** Weight of an abbreviation's long form, or a long form's abbreviation. */
  readonly abbreviationWeight?: number;
  /** Weight of a word of the same domain (commit → history, log). */
  readonly relatedWeight?: number;
  /** Weight of a quoted word ('Old roadmap'), or a file or repository name: data, not intent. */
  readonly quotedWeight?: number;
}

const MAX_PHRASE_WORDS = 3;
const CAMEL_WORD = /\b[\p{L}\p{N}]*\p{Ll}\p{Lu}[\p{L}\p{N}]*\b/gu;
const CAMEL_PART_WEIGHT = 0.5;
/** A short leading label before a colon names the product ("Sentry: which projects…"). */
const LABEL = /^\s*([\p{L}\p{N}][\p{L}\p{N} .-]{0,30}):\s/u;
/**
 * Text in quotes: 'Old roadmap', "Payment successful", “Bugs”. A quote opens after a space or
 * bracket and closes before one, so apostrophes (it's, Jenny's, users') never open one.
 */
const QUOTED = /(?<=^|[\s(])(['"‘“])(.+?)(?:['"’”])(?=[\s.,;:!?)]|$)/g;

/** Turns a query into concepts: phrases joined, stop words dropped, words stemmed and expanded. */
export class QueryAnalyser {
  private readonly expansions = new Map<string, Map<string, number>>();
  private readonly phrases = new Map<string, string>();
  private readonly quotedWeight: number;
  /** The parts of the CamelCase words of the query being analysed. */
  private camelParts = new Map<string, Map<string, number>>();

  constructor(options: QueryAnalyserOptions = {}) {
    this.quotedWeight = options.quotedWeight ?? 0.3;
    const synonymWeight = options.synonymWeight ?? 0.5;
    const abbreviationWeight = options.abbreviationWeight ?? 0.9;
    const relatedWeight = options.relatedWeight ?? 0.3;
    for (const [phrase, word] of Object.entries({ ...RELATED_PHRASES, ...PHRASES })) {
      this.phrases.set(phrase, word);
    }
    for (const [groups, weight] of [
      [SYNONYM_GROUPS, synonymWeight],
      [RELATED_GROUPS, relatedWeight],
    ] as const) {
      for (const group of groups) {
        const stems = [...new Set(group.map(stemWord))];
        for (const stem of stems) {
          for (const other of stems) if (other !== stem) this.relate(stem, other, weight);
        }
      }
    }
    for (const [short, long] of Object.entries(ABBREVIATIONS)) {
      const shortStem = stemWord(short);
      const longStems = splitWords(long).map(stemWord);
      for (const longStem of longStems) this.relate(shortStem, longStem, abbreviationWeight);
      // A one-word long form also finds its abbreviation (repository → repo).
      if (longStems.length === 1) this.relate(longStems[0], shortStem, abbreviationWeight);
    }
  }

  analyse(query: string): AnalysedQuery {
    const concepts = new Map<string, QueryConcept>();
    const quoted: string[] = [];
    // A CamelCase word is one word here (GitHub, CircleCI), its parts only a weak alternative.
    const parts = new Map<string, Map<string, number>>();
    const annotated = annotateEntities(query);
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
    const label = LABEL.exec(plain);
    const unlabelled = label ? plain.slice(label[0].length) : plain;
    const words = this.joinPhrases(splitWords(plain));
    const next = this.addConcepts(concepts, words, 1, 0);
    // Quoted text names a thing (a page title, a label, a button's text): it tells which tool
    // only a little, and never what the query asks to do.
    this.addConcepts(
      concepts,
      this.joinPhrases(splitWords(quoted.join(' '))),
      this.quotedWeight,
      next + 1,
    );
    return {
      concepts: [...concepts.values()],
      action: queryAction(this.joinPhrases(splitWords(unlabelled)), unlabelled),
      // Entities count as references: a file, a repository, a URL is one thing.
      scope: queryReadScope(this.joinPhrases(splitWords(unlabelled)), annotated),
      label: label ? splitWords(label[1]) : [],
    };
  }

  /** Adds the concepts of `words` from `position` on; answers the position after the last. */
  private addConcepts(
    into: Map<string, QueryConcept>,
    words: string[],
    scale: number,
    position: number,
  ): number {
    for (const word of words) {
      if (!isContentWord(word)) continue;
      const stem = stemWord(word);
      if (into.has(stem)) {
        position++;
        continue;
      }
      const terms = new Map<string, number>([[stem, scale]]);
      for (const [term, weight] of [
        ...(this.expansions.get(stem) ?? []),
        ...(this.camelParts.get(stem) ?? []),
      ]) {
        if (!terms.has(term)) terms.set(term, weight * scale);
      }
      into.set(stem, { stem, terms, position: position++ });
    }
    return position;
  }

  private joinPhrases(words: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < words.length;) {
      let matched = false;
      for (let n = Math.min(MAX_PHRASE_WORDS, words.length - i); n >= 2 && !matched; n--) {
        const joined = this.phrases.get(words.slice(i, i + n).join(' '));
        if (joined) {
          out.push(joined);
          i += n;
          matched = true;
        }
      }
      if (!matched) out.push(words[i++]);
    }
    return out;
  }

  private relate(from: string, to: string, weight: number): void {
    let related = this.expansions.get(from);
    if (!related) this.expansions.set(from, (related = new Map<string, number>()));
    related.set(to, Math.max(weight, related.get(to) ?? 0));
  }
}
