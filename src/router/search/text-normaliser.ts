import { stemmer } from 'stemmer';
import { STOP_WORDS } from './stop-words.js';

/** Collapses every run of whitespace to one space and trims. */
export function normaliseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Splits text, identifiers included, into lowercase words: `snake_case`, `camelCase`,
 * `kebab-case`, `API-post-search`, `HTMLParser`, dotted and slashed names, URLs. Apostrophes are
 * dropped inside words ("what's" → "whats") so contractions stay one word.
 */
export function splitWords(text: string): string[] {
  const spaced = text
    // I'd, we'd: the contraction would read as "id", a word tools use a lot.
    .replace(/(\p{L})['’]d\b/gu, '$1')
    .replace(/['’]/g, '')
    // fooBar → foo Bar, HTMLParser → HTML Parser, v2Api → v2 Api; an acronym's plural stays
    // one word (PRs, URLs, IDs).
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z]{2,})/g, '$1 $2');
  const words = spaced.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return CJK.test(spaced) ? words.flatMap(segmentCjk) : words;
}

/** Chinese and Japanese script: written without spaces between words. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Hiragana alone: Japanese particles and endings (を, し, ます), not content words. */
const HIRAGANA_ONLY = /^\p{Script=Hiragana}+$/u;
let wordSegmenter: Intl.Segmenter | undefined;

/**
 * A run of Chinese or Japanese text split into words by the runtime's dictionary-based word
 * segmentation (ICU, through `Intl.Segmenter`): `创建新的存储库` → 创建, 新的, 存储, 库. Other words
 * are left whole; particles and endings written in hiragana alone are dropped.
 */
function segmentCjk(word: string): string[] {
  if (!CJK.test(word)) return [word];
  wordSegmenter ??= new Intl.Segmenter('und', { granularity: 'word' });
  const out: string[] = [];
  for (const { segment, isWordLike } of wordSegmenter.segment(word)) {
    if (isWordLike && !HIRAGANA_ONLY.test(segment)) out.push(segment);
  }
  return out;
}

/** A word written in CamelCase: GitHub, CircleCI, PostgreSQL, getUserProfile. */
const CAMEL_WORD = /\b[\p{L}\p{N}]*\p{Ll}\p{Lu}[\p{L}\p{N}]*\b/gu;

/**
 * CamelCase words as one lowercase word each ("GitHub" → github): splitWords splits them, which
 * suits identifiers but breaks product names, so text is indexed and queried both ways.
 */
export function camelWords(text: string): Array<{ joined: string; parts: string[] }> {
  return [...text.matchAll(CAMEL_WORD)].map(([word]) => ({
    joined: word.toLowerCase(),
    parts: splitWords(word),
  }));
}

/** Porter stem of one lowercase word (words of two letters or fewer are left as they are). */
export function stemWord(word: string): string {
  return word.length <= 2 ? word : stemmer(word);
}

/** A word is kept when it has a letter (pure numbers and ids like 42 are noise for ranking). */
export function isContentWord(word: string): boolean {
  return !STOP_WORDS.has(word) && /\p{L}/u.test(word);
}

/**
 * Text → index terms: split, drop stop words and numbers, stem; a CamelCase word gives its parts
 * and itself (GitHub → git, hub, github). Used for documents and server profiles.
 */
export function analyse(text: string): string[] {
  const terms: string[] = [];
  for (const word of splitWords(text)) {
    if (isContentWord(word)) terms.push(stemWord(word));
  }
  for (const { joined } of camelWords(text)) {
    if (isContentWord(joined)) terms.push(stemWord(joined));
  }
  return terms;
}
