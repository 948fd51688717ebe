import MiniSearch from 'minisearch';
import type { IndexedTool } from './indexed-tool.js';
import { nameTerms, splitDescription } from './tool-document.js';
import { analyse, splitWords, stemWord } from './text-normaliser.js';

interface ServerDocument {
  readonly id: string;
  /** Slug words (`google-maps` → google maps): a query that names the product hits here. */
  readonly slug: string;
  readonly description: string;
  /** Every tool name of the server: what the server is about. */
  readonly names: string;
  /** Every tool's description lead. */
  readonly text: string;
}

export interface ServerProfileWeights {
  readonly slug: number;
  readonly description: number;
  readonly names: number;
  readonly text: number;
}

const SPACE = ' ';
/**
 * A slug word names a product when at most this share of the other servers' tools use it ("github"
 * in a CI server's descriptions is rare; "search", a word of `brave-search`, is everywhere).
 */
const MENTION_MAX_SHARE = 0.05;
/** Label words that say nothing about which server ("memory server: …", "GitHub MCP: …"). */
const LABEL_FILLERS = new Set([
  'server',
  'servers',
  'mcp',
  'tool',
  'tools',
  'api',
  'the',
  'my',
  'our',
]);

export interface Mentions {
  /** Servers the query names. */
  readonly servers: Set<string>;
  /** The query stems that name them. */
  readonly stems: Set<string>;
  /** Of `servers`, those a leading label names ("memory: …", "server: github tool: …"). */
  readonly byLabel: Set<string>;
}

/**
 * The first stage of ranking: one document per server instance (its slug, description and the
 * vocabulary of all its tools). A query that names a product ("Sentry: …"), or whose words belong
 * to one server's domain (pull request, branch → GitHub), lifts that server's tools. With hundreds
 * of servers this is what keeps a generic word from ranking a stray tool of an unrelated server.
 */
export class ServerProfileIndex {
  private readonly index: MiniSearch<ServerDocument>;
  private readonly servers = new Map<
    string,
    { slugTerms: Set<string>; slugWords: Set<string>; terms: Map<string, number>; tools: number }
  >();
  /** slug term (stemmed) and slug word (as written) → servers whose slug holds it. */
  private readonly slugOwners = new Map<string, Set<string>>();
  private readonly slugWordOwners = new Map<string, Set<string>>();
  /** term → number of tools, over all servers, whose document holds it. */
  private readonly toolsUsing = new Map<string, number>();
  /** term → serverId → the share of that server's tools whose document holds it. */
  private readonly termServers = new Map<string, Map<string, number>>();
  private toolCount = 0;
  private readonly weights: ServerProfileWeights;

  constructor(weights: ServerProfileWeights) {
    this.weights = weights;
    this.index = new MiniSearch<ServerDocument>({
      fields: ['slug', 'description', 'names', 'text'],
      tokenize: (text) => text.split(SPACE),
      processTerm: (term) => term || null,
    });
  }

  /** `toolTerms`: the distinct terms of each tool's document, as the tool index analysed them. */
  upsert(
    serverId: string,
    tools: readonly IndexedTool[],
    toolTerms: readonly (readonly string[])[],
  ): void {
    this.remove(serverId);
    const first = tools[0];
    if (!first) return;
    const doc: ServerDocument = {
      id: serverId,
      slug: analyse(first.serverSlug).join(SPACE),
      description: analyse(first.serverDescription ?? '').join(SPACE),
      names: tools.flatMap((t) => nameTerms(t.name, t.serverSlug)).join(SPACE),
      text: tools.flatMap((t) => analyse(splitDescription(t.description).lead)).join(SPACE),
    };
    this.index.add(doc);
    const terms = new Map<string, number>();
    for (const list of toolTerms)
      for (const term of list) terms.set(term, (terms.get(term) ?? 0) + 1);
    const entry = {
      slugTerms: new Set(doc.slug.split(SPACE).filter(Boolean)),
      slugWords: new Set(splitWords(first.serverSlug)),
      terms,
      tools: tools.length,
    };
    this.servers.set(serverId, entry);
    for (const term of entry.slugTerms) addTo(this.slugOwners, term, serverId);
    for (const word of entry.slugWords) addTo(this.slugWordOwners, word, serverId);
    for (const [term, n] of terms) {
      this.toolsUsing.set(term, (this.toolsUsing.get(term) ?? 0) + n);
      let owners = this.termServers.get(term);
      if (!owners) this.termServers.set(term, (owners = new Map<string, number>()));
      owners.set(serverId, n / tools.length);
    }
    this.toolCount += entry.tools;
  }

  remove(serverId: string): void {
    if (this.index.has(serverId)) this.index.discard(serverId);
    const entry = this.servers.get(serverId);
    if (!entry) return;
    for (const term of entry.slugTerms) removeFrom(this.slugOwners, term, serverId);
    for (const word of entry.slugWords) removeFrom(this.slugWordOwners, word, serverId);
    for (const [term, n] of entry.terms) {
      const left = (this.toolsUsing.get(term) ?? n) - n;
      if (left > 0) this.toolsUsing.set(term, left);
      else this.toolsUsing.delete(term);
      const owners = this.termServers.get(term);
      owners?.delete(serverId);
      if (owners?.size === 0) this.termServers.delete(term);
    }
    this.toolCount -= entry.tools;
    this.servers.delete(serverId);
  }

  /**
   * Servers the query names: by a query word (or a form that says the same, such as the word
   * with two letters swapped) that is a word of a server's slug and that the other servers' tools rarely use ("Sentry: …",
   * "use Brave to …", "in our Postgres database"; the topic word "search" of `brave-search`
   * names nothing), or by a leading label that holds a word of its slug as written
   * ("everything server: …", even though "everything" is no term).
   */
  mentioned(
    words: ReadonlyArray<{ readonly stem: string; readonly forms: readonly string[] }>,
    label: readonly string[] = [],
  ): Mentions {
    const servers = new Set<string>();
    const byLabel = new Set<string>();
    const named = new Set<string>();
    for (const word of words) {
      for (const form of word.forms) if (this.names(form, servers)) named.add(word.stem);
    }
    for (const word of label) {
      const owners = this.slugWordOwners.get(word);
      if (!owners || LABEL_FILLERS.has(word)) continue;
      for (const id of owners) {
        servers.add(id);
        byLabel.add(id);
      }
      named.add(stemWord(word));
    }
    return { servers, stems: named, byLabel };
  }

  /** Whether a term names servers by their slug (adding them to `into`). */
  private names(stem: string, into: Set<string>): boolean {
    const owners = this.slugOwners.get(stem);
    if (!owners) return false;
    let inside = 0;
    let insideTools = 0;
    for (const id of owners) {
      const entry = this.servers.get(id)!;
      inside += entry.terms.get(stem) ?? 0;
      insideTools += entry.tools;
    }
    const elsewhere = (this.toolsUsing.get(stem) ?? 0) - inside;
    if (elsewhere > MENTION_MAX_SHARE * (this.toolCount - insideTools)) return false;
    for (const id of owners) into.add(id);
    return true;
  }

  /**
   * Which servers a query's words belong to, from the catalog's own text: for each word, the
   * chance that a tool using it is of server s if every server were equally likely (the share of
   * s's tools using the word, over the sum of those shares over all servers), so a word only one
   * product uses ("pod", "knowledge graph") points at it whatever its size, and a word every
   * server uses points nowhere. Each word counts by `weight` (its IDF); answers serverId → 0..1.
   */
  ownership(
    words: ReadonlyArray<{ readonly terms: readonly string[]; readonly weight: number }>,
  ): Map<string, number> {
    const scores = new Map<string, number>();
    let total = 0;
    for (const { terms, weight } of words) {
      if (weight <= 0) continue;
      total += weight;
      // A word's forms: for each server, the best share any of them has.
      const best = new Map<string, number>();
      for (const term of terms) {
        for (const [id, share] of this.termServers.get(term) ?? []) {
          best.set(id, Math.max(best.get(id) ?? 0, share));
        }
      }
      let sum = 0;
      for (const share of best.values()) sum += share;
      if (sum <= 0) continue;
      for (const [id, share] of best)
        scores.set(id, (scores.get(id) ?? 0) + (weight * share) / sum);
    }
    if (total > 0) for (const [id, v] of scores) scores.set(id, v / total);
    return scores;
  }

  /** serverId → score relative to the best server for these weighted terms (0..1]. */
  score(terms: ReadonlyMap<string, number>): Map<string, number> {
    const scores = new Map<string, number>();
    if (terms.size === 0) return scores;
    const results = this.index.search([...terms.keys()].join(SPACE), {
      boost: { ...this.weights },
      boostTerm: (term) => terms.get(term) ?? 0,
    });
    const best = results[0]?.score ?? 0;
    if (best <= 0) return scores;
    for (const r of results) scores.set(String(r.id), r.score / best);
    return scores;
  }
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function removeFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  set?.delete(id);
  if (set?.size === 0) map.delete(key);
}
