import { splitWords, stemWord } from './text-normaliser.js';

/**
 * What a tool does to the world, and what a query asks for. Tool names follow verb_object almost
 * everywhere (REST, CLI and MCP naming), so the verb says whether a tool reads, writes or acts;
 * a query's first verb (or its being a question) says which of those the agent wants. A question
 * about a thing ("what changed on main?") must not rank the tool that changes it first.
 */
export type Action = 'read' | 'create' | 'update' | 'delete' | 'run';

/**
 * The verbs of each action. Source: the verbs tool names and descriptions use (REST and CLI
 * naming, CRUD); every verb here appears in the text of a catalog (names, descriptions,
 * parameters). Verbs that appeared in no catalog were removed with the hand-written word lists
 * (docs/search-tuning.md), among them three that matched single dev queries (remember, forget,
 * launch).
 */
const ACTION_VERBS: Readonly<Record<Action, readonly string[]>> = {
  read: [
    'get',
    'list',
    'search',
    'find',
    'read',
    'retrieve',
    'query',
    'fetch',
    'view',
    'show',
    'describe',
    'lookup',
    'download',
    'export',
    'inspect',
    'check',
    'load',
    'browse',
    'count',
    'analyze',
    'explain',
    'summarize',
    'identify',
    'whoami',
    'see',
    'look',
    'display',
    'dump',
    'extract',
    'crawl',
    'monitor',
    'watch',
    'compare',
    'diff',
    'print',
    'return',
    'discover',
    'explore',
    'lookup',
  ],
  create: [
    'create',
    'add',
    'new',
    'make',
    'insert',
    'register',
    'post',
    'send',
    'write',
    'upload',
    'push',
    'fork',
    'copy',
    'generate',
    'compose',
    'reply',
    'comment',
    'save',
    'store',
    'record',
    'attach',
  ],
  // Not "resolve": a tool resolves an issue (update) as often as a name to an id (read).
  update: [
    'update',
    'edit',
    'modify',
    'change',
    'patch',
    'put',
    'set',
    'rename',
    'move',
    'toggle',
    'merge',
    'replace',
    'overwrite',
    'close',
    'assign',
    'mark',
    'enable',
    'disable',
    'approve',
    'reject',
    'archive',
    'restore',
    'rollback',
    'resize',
    'configure',
  ],
  delete: ['delete', 'remove', 'drop', 'trash', 'clear'],
  run: [
    'run',
    'execute',
    'trigger',
    'start',
    'invoke',
    'call',
    'evaluate',
    'rerun',
    'retry',
    'restart',
    'deploy',
    'navigate',
    'click',
    'press',
    'hover',
    'drag',
    'type',
    'fill',
    'select',
    'wait',
    'simulate',
  ],
};

/**
 * Words that open a question: a question asks to read something, whatever verb follows. Source:
 * English grammar (interrogatives and the auxiliaries that open yes/no questions), a closed class.
 */
const QUESTION_WORDS = new Set([
  'what',
  'whats',
  'which',
  'who',
  'whos',
  'whom',
  'whose',
  'when',
  'where',
  'why',
  'how',
  'is',
  'are',
  'was',
  'were',
  'did',
  'does',
  'do',
  'has',
  'have',
  'any',
  'anything',
  'anyone',
]);

/**
 * A question about how to do something asks to do it: "how do I create a branch?", "how to
 * delete a key", "is there a way to rename a file?" want the verb that follows, not a read.
 */
const ASKS_HOW_TO =
  /^(how (do|can|could|should|would|will|shall) (i|we|you|one)|how (to|would i go about)|(is|are) there (a|any) ways? to|is it possible to)\b/;

/**
 * POST in generated names (`API-post-search`) is how APIs send searches and queries as much as
 * creations: a verb after it is the real action. Other methods mean what they say.
 */
const POST = 'post';

/** Words a tool description opens with before its verb ("This tool retrieves…"). */
const LEAD_IN = new Set([
  'this',
  'tool',
  'the',
  'a',
  'an',
  'helps',
  'will',
  'can',
  'you',
  'to',
  'lets',
  'allows',
]);

const ACTION_OF_STEM = new Map<string, Action>();
for (const [action, verbs] of Object.entries(ACTION_VERBS) as Array<[Action, readonly string[]]>) {
  for (const verb of verbs)
    if (!ACTION_OF_STEM.has(stemWord(verb))) ACTION_OF_STEM.set(stemWord(verb), action);
}

function actionOf(word: string): Action | undefined {
  return ACTION_OF_STEM.get(stemWord(word));
}

/**
 * How much a tool's action fits the query's: the same action lifts by `boost`, the same side
 * (create vs update) by half of it; reading vs writing, or running for a question, cuts by
 * `penalty`. "Run" may well mean reading (run a query, execute a search): no cut there.
 */
export function actionFactor(opts: {
  wanted: Action | undefined;
  does: Action | undefined;
  boost: number;
  penalty: number;
}): number {
  const { wanted, does, boost, penalty } = opts;
  if (!wanted || !does) return 1;
  if (wanted === does) return 1 + boost;
  if (polarity(wanted) === polarity(does)) return 1 + boost / 2;
  if (wanted === 'run' && does === 'read') return 1;
  return 1 - penalty;
}

export function polarity(action: Action): 'read' | 'write' | 'run' {
  return action === 'read' || action === 'run' ? action : 'write';
}

/**
 * A tool's action: its name's first verb (`get_thread_replies` reads; a verb after `post` wins
 * over it), else its description's opening verb.
 */
export function toolAction(name: string, description: string): Action | undefined {
  const words = splitWords(name);
  const verbs = words.filter((w) => actionOf(w) !== undefined);
  const chosen = verbs[0] === POST && verbs.length > 1 ? verbs[1] : verbs[0];
  if (chosen) return actionOf(chosen);
  for (const word of splitWords(description).slice(0, 4)) {
    if (LEAD_IN.has(word)) continue;
    return actionOf(word);
  }
  return undefined;
}

/**
 * A query's action: a query that opens with a question word reads ("which projects…"), unless it
 * asks how to do something ("how do I delete…"); otherwise
 * the first action verb decides; otherwise a question mark still means it asks. `text` comes
 * without a leading label ("Sentry: "), `words` are its words with phrases joined.
 */
export function queryAction(words: readonly string[], text: string): Action | undefined {
  const opening = splitWords(text).slice(0, 5).join(' ');
  const first = splitWords(text)[0] ?? words[0];
  if (first !== undefined && QUESTION_WORDS.has(first) && !ASKS_HOW_TO.test(opening)) return 'read';
  for (const word of words) {
    const action = actionOf(word);
    if (action) return action;
  }
  return text.includes('?') ? 'read' : undefined;
}

/**
 * Of the tools that read, some fetch one thing by its id or name (`get_pull_request`,
 * `retrieve-a-database`), others find or list many (`list_pull_requests`, `query-data-source`,
 * `get_pull_request_reviews`). A query that names one thing (an id, `#77`, a quoted title, a
 * file, a repository, a URL) and doesn't ask "which", "all" or to find wants the first kind; a
 * query that asks which, any or all, or to find, search or list, wants the second.
 */
export type ReadScope = 'one' | 'many';

/** Reading verbs that find or list. */
const MANY_VERBS = new Set(
  ['list', 'search', 'find', 'query', 'lookup', 'browse', 'enumerate', 'discover', 'explore'].map(
    stemWord,
  ),
);
/** Reading verbs that fetch a thing: one, unless the thing named is plural (`get_issues`). */
const ONE_VERBS = new Set(
  [
    'get',
    'read',
    'retrieve',
    'fetch',
    'view',
    'show',
    'describe',
    'inspect',
    'load',
    'display',
    'see',
  ].map(stemWord),
);
/** Plurals that name the parts of one thing: `get_user_details`, `get_file_contents`. */
const ASPECTS = new Set([
  'details',
  'contents',
  'properties',
  'settings',
  'attributes',
  'stats',
  'metrics',
]);
/** A plural word: `reviews`, `files`; not `status`, `access`, `analysis`. */
const PLURAL = /[^sui]s$/;
/**
 * Words that ask for many things whatever the verb: "which pods…", "all pages…". Source: English
 * grammar (quantifiers and indefinite pronouns), a closed class.
 */
const QUANTIFIERS = new Set(['all', 'every', 'which', 'any', 'anyone', 'anything']);
/**
 * A reference to one thing: `#77`, an id of letters and digits (`U02ABC`, `8a3f2c`), quoted
 * text; entities are quoted by `annotateEntities` (files, repositories), URLs carry `url`.
 */
const REFERENCE = /#\d+|\b(?=[a-z]*\d)(?=\d*[a-z])[a-z\d]{5,}\b|['"‘“][^'"’”]+['"’”]|\burl page\b/i;

/** A reading tool's scope, from its name's verb and whether the thing it names is plural. */
export function toolReadScope(name: string): ReadScope | undefined {
  const words = splitWords(name);
  let at = words.findIndex((w) => actionOf(w) !== undefined);
  if (at < 0) return undefined;
  if (words[at] === POST) {
    const next = words.findIndex((w, i) => i > at && actionOf(w) !== undefined);
    if (next > 0) at = next;
  }
  const verb = stemWord(words[at]);
  if (MANY_VERBS.has(verb)) return 'many';
  if (!ONE_VERBS.has(verb)) return undefined;
  const last = words[words.length - 1];
  // A bare verb (`kubectl_get`) says nothing about how many.
  if (at === words.length - 1) return undefined;
  return at < words.length - 1 && PLURAL.test(last) && !ASPECTS.has(last) ? 'many' : 'one';
}

/**
 * A query's read scope: "which / all / any", or a first action verb that finds or lists, ask for
 * many; else a reference to one thing asks for one; else unknown. A finding word later in the
 * query is an object, not the ask ("show the plan chosen for this search").
 * `words` are the query's words with phrases joined, `text` the query with entities annotated.
 */
export function queryReadScope(words: readonly string[], text: string): ReadScope | undefined {
  if (words.some((w) => QUANTIFIERS.has(w))) return 'many';
  const verb = words.find((w) => actionOf(w) !== undefined);
  if (verb !== undefined && MANY_VERBS.has(stemWord(verb))) return 'many';
  return REFERENCE.test(text) ? 'one' : undefined;
}
