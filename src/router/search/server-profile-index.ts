import MiniSearch from 'minisearch';
import type { IndexedTool } from './indexed-tool.js';
import { nameTerms, splitDescription } from './tool-document.js';
import { analyse } from './text-normaliser.js';

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
/** A slug word that at most this share of other servers use in their tools still names a product. */
const MENTION_MAX_SHARE = 0.1;

/**
 * The first stage of ranking: one document per server instance (its slug, description and the
 * vocabulary of all its tools). A query that names a product ("Sentry: …"), or whose words belong
 * to one server's domain (pull request, branch → GitHub), lifts that server's tools. With hundreds
 * of servers this is what keeps a generic word from ranking a stray tool of an unrelated server.
 */
export class ServerProfileIndex {
  private readonly index: MiniSearch<ServerDocument>;
  /** serverId → its slug terms, and every term of its tools' names and lead descriptions. */
  private readonly terms = new Map<string, { slug: Set<string>; tools: Set<string> }>();
  /** slug term → servers whose slug holds it. */
  private readonly slugOwners = new Map<string, Set<string>>();
  /** tool term → servers whose tools use it. */
  private readonly toolUsers = new Map<string, Set<string>>();
  private readonly weights: ServerProfileWeights;

  constructor(weights: ServerProfileWeights) {
    this.weights = weights;
    this.index = new MiniSearch<ServerDocument>({
      fields: ['slug', 'description', 'names', 'text'],
      tokenize: (text) => text.split(SPACE),
      processTerm: (term) => term || null,
    });
  }

  upsert(serverId: string, tools: readonly IndexedTool[]): void {
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
    const terms = {
      slug: new Set(doc.slug.split(SPACE).filter(Boolean)),
      tools: new Set(`${doc.names} ${doc.text}`.split(SPACE).filter(Boolean)),
    };
    this.terms.set(serverId, terms);
    for (const term of terms.slug) addTo(this.slugOwners, term, serverId);
    for (const term of terms.tools) addTo(this.toolUsers, term, serverId);
  }

  remove(serverId: string): void {
    if (this.index.has(serverId)) this.index.discard(serverId);
    const terms = this.terms.get(serverId);
    if (!terms) return;
    for (const term of terms.slug) removeFrom(this.slugOwners, term, serverId);
    for (const term of terms.tools) removeFrom(this.toolUsers, term, serverId);
    this.terms.delete(serverId);
  }

  /**
   * Servers the query names: a query word that is a word of a server's slug ("Sentry: …",
   * "use Brave to …", "in our Postgres database") and that other servers' tools rarely use, so
   * that it names a product rather than a topic ("search" in `brave-search` is a topic word).
   */
  mentioned(stems: readonly string[]): Set<string> {
    const named = new Set<string>();
    for (const stem of stems) {
      const owners = this.slugOwners.get(stem);
      if (!owners) continue;
      let usedElsewhere = 0;
      for (const id of this.toolUsers.get(stem) ?? []) if (!owners.has(id)) usedElsewhere++;
      if (usedElsewhere <= MENTION_MAX_SHARE * this.terms.size)
        for (const id of owners) named.add(id);
    }
    return named;
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
