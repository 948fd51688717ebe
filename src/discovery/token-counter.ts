import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Special-token markers (`<|endoftext|>`) inside a tool description are plain text here: the
 * tokenizer would otherwise throw on them, and an upstream controls its descriptions.
 */
const AS_PLAIN_TEXT = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/**
 * Tokens of `text` in the o200k_base encoding (GPT-4o, GPT-4.1, GPT-5, o-series): a close,
 * offline stand-in for what a tool costs in an agent's context window. gpt-tokenizer is pure
 * JavaScript, bundles its ranks (no network at run time) and is the fastest maintained BPE
 * tokenizer for Node measured here.
 */
export function countTokens(text: string): number {
  return countO200k(text, AS_PLAIN_TEXT);
}

/** Tokens of a value as it travels in JSON (a tool definition, a search answer). */
export function countJsonTokens(value: unknown): number {
  return countTokens(JSON.stringify(value) ?? '');
}
