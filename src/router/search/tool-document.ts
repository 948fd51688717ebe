import type { IndexedTool } from './indexed-tool.js';
import { analyse, normaliseWhitespace, splitWords } from './text-normaliser.js';

/** The analysed fields of one tool, each a space-separated list of stemmed terms. */
export interface ToolDocument {
  readonly id: string;
  /** Tool name words (without a leading repeat of the server slug) and its title. */
  readonly name: string;
  /** The first sentence(s) of the description: what the tool does. */
  readonly lead: string;
  /** The rest of the description, capped: usage notes and boilerplate, weighted low. */
  readonly body: string;
  /** Parameter names and their descriptions. */
  readonly params: string;
}

/** Lead: sentences up to this many characters (at least one sentence). */
const LEAD_CHARS = 240;
/** Body: the rest of the description is cut here; past it is mostly usage boilerplate. */
const BODY_CHARS = 1500;
/** Per parameter description. */
const PARAM_DESCRIPTION_CHARS = 160;
/** Enum values per parameter, and their length, indexed with the parameter. */
const ENUM_VALUES = 20;
const ENUM_VALUE_CHARS = 40;
/** Nested object properties are indexed this deep (e.g. CircleCI's single `params` object). */
const PARAM_DEPTH = 2;

/**
 * Builds the fields of a tool. Long descriptions are mostly usage notes and boilerplate
 * ("CRITICAL REQUIREMENTS", "Error Responses: 400"), so only the lead says what the tool does;
 * the rest goes to a low-weight field, capped.
 */
export function buildToolDocument(
  tool: IndexedTool,
  sharedPrefix: readonly string[] = [],
): ToolDocument {
  const { lead, body } = splitDescription(tool.description);
  return {
    id: tool.path,
    name: [...toolNameTerms(tool, sharedPrefix), ...analyse(tool.title ?? '')].join(' '),
    lead: analyse(lead).join(' '),
    body: analyse(body).join(' '),
    params: analyse(parameterText(tool.inputSchema)).join(' '),
  };
}

/** The terms of a tool's name as its document holds them: slug repeat and shared prefix dropped. */
export function toolNameTerms(tool: IndexedTool, sharedPrefix: readonly string[] = []): string[] {
  return analyse(dropPrefix(nameWords(tool.name, tool.serverSlug), sharedPrefix).join(' '));
}

/** Name terms; a leading repeat of the server slug (`slack_post_message` on `slack`) is dropped. */
export function nameTerms(name: string, serverSlug: string): string[] {
  return analyse(nameWords(name, serverSlug).join(' '));
}

function nameWords(name: string, serverSlug: string): string[] {
  const words = splitWords(name);
  const slugWords = splitWords(serverSlug);
  let start = 0;
  // Drop the longest run of slug words that the name starts with (`maps_` on `google-maps`).
  for (let i = 0; i < slugWords.length && start < words.length - 1; i++) {
    if (words[start] === slugWords[i]) start++;
    else if (start === 0) continue;
    else break;
  }
  return words.slice(start);
}

function dropPrefix(words: string[], prefix: readonly string[]): string[] {
  if (prefix.length === 0 || words.length <= prefix.length) return words;
  return prefix.every((p, i) => words[i] === p) ? words.slice(prefix.length) : words;
}

/** Servers with fewer tools than this have no name convention to detect. */
const PREFIX_MIN_TOOLS = 3;
/** A leading name word that at least this share of a server's tools repeat is a prefix. */
const PREFIX_SHARE = 0.6;

/**
 * The leading words most tool names of one server repeat (`API-` on generated OpenAPI servers,
 * `browser_` on a browser server). They name the server, not the tool: within the tool's name
 * they would only make every tool of that server match the word alike, so they are dropped there
 * (the server stage still has them).
 */
export function sharedNamePrefix(tools: readonly IndexedTool[]): string[] {
  if (tools.length < PREFIX_MIN_TOOLS) return [];
  const names = tools.map((t) => nameWords(t.name, t.serverSlug));
  const prefix: string[] = [];
  for (let i = 0; i < 2; i++) {
    const counts = new Map<string, number>();
    for (const words of names) {
      if (words.length > i + 1 && prefix.every((p, j) => words[j] === p)) {
        counts.set(words[i], (counts.get(words[i]) ?? 0) + 1);
      }
    }
    const [word, n] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    if (n / tools.length < PREFIX_SHARE) break;
    prefix.push(word);
  }
  return prefix;
}

export function splitDescription(description: string): { lead: string; body: string } {
  const flat = normaliseWhitespace(description);
  const sentences = flat.match(/[^.!?]+(?:[.!?]+(?=\s|$)|$)/g) ?? [flat];
  let lead = '';
  let i = 0;
  while (i < sentences.length && (lead === '' || lead.length + sentences[i].length <= LEAD_CHARS)) {
    lead += sentences[i];
    i++;
  }
  return { lead: lead.trim(), body: sentences.slice(i).join('').trim().slice(0, BODY_CHARS) };
}

/** Parameter names (split as identifiers) and descriptions, nested objects included. */
export function parameterText(schema: unknown, depth = 0): string {
  if (depth >= PARAM_DEPTH || !isObject(schema)) return '';
  const props = schema['properties'];
  if (!isObject(props)) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(props)) {
    parts.push(splitWords(key).join(' '));
    if (!isObject(value)) continue;
    const description = value['description'];
    if (typeof description === 'string') {
      parts.push(normaliseWhitespace(description).slice(0, PARAM_DESCRIPTION_CHARS));
    }
    const items = value['items'];
    const options = isObject(items) ? items['enum'] : value['enum'];
    // Allowed values say what a tool can do (state: open | closed; method: merge | squash).
    if (Array.isArray(options)) {
      parts.push(
        options
          .filter((o): o is string => typeof o === 'string' && o.length <= ENUM_VALUE_CHARS)
          .slice(0, ENUM_VALUES)
          .join(' '),
      );
    }
    parts.push(parameterText(isObject(items) ? items : value, depth + 1));
  }
  return parts.filter((p) => p !== '').join(' ');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
