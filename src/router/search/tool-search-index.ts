import MiniSearch from 'minisearch';
import { type Action, polarity, toolAction } from './action-intent.js';
import type { IndexedTool } from './indexed-tool.js';
import { QueryAnalyser, type QueryAnalyserOptions, type QueryConcept } from './query-analyser.js';
import { ServerProfileIndex, type ServerProfileWeights } from './server-profile-index.js';
import { buildToolDocument, sharedNamePrefix, type ToolDocument } from './tool-document.js';
import { TopHits } from './top-hits.js';

export interface ToolFieldWeights {
  readonly name: number;
  readonly lead: number;
  readonly body: number;
  readonly params: number;
}

export interface ToolSearchIndexOptions extends QueryAnalyserOptions {
  /** BM25 weight of each tool field. */
  readonly fieldWeights?: Partial<ToolFieldWeights>;
  /** BM25 weight of each field of the server stage. */
  readonly serverWeights?: Partial<ServerProfileWeights>;
  /** How much the server stage lifts a tool: score × (1 + serverBoost × server relevance 0..1). */
  readonly serverBoost?: number;
  /** Lift for the tools of a server the query names ("Sentry: …"): score × (1 + mentionBoost). */
  readonly mentionBoost?: number;
  /** Typo tolerance for words the catalog doesn't know: max edits as a share of word length. */
  readonly fuzzy?: number;
  /** Lift for a tool whose action (read, create, update, delete, run) is the query's. */
  readonly actionBoost?: number;
  /** Cut for a tool that reads when the query writes, or the other way round. */
  readonly actionPenalty?: number;
}

export interface SearchOptions {
  readonly query: string;
  readonly limit: number;
  /** Only tools of this server slug (exact). */
  readonly server?: string;
  /** Applied before ranking: invisible tools are never scored, counted or returned. */
  readonly visible?: (tool: IndexedTool) => boolean;
}

export interface SearchHit {
  readonly tool: IndexedTool;
  /** Higher is better; comparable within one answer only. */
  readonly score: number;
}

export interface SearchAnswer {
  readonly hits: SearchHit[];
  /** Visible tools that matched at all (or, for '*', that exist), before the limit. */
  readonly totalFound: number;
}

interface ServerEntry {
  readonly tools: IndexedTool[];
  /** Every term this server's tool documents hold, for the catalog vocabulary. */
  readonly terms: string[];
}

const DEFAULT_FIELDS: ToolFieldWeights = { name: 3, lead: 1.5, body: 0.3, params: 0.5 };
const DEFAULT_SERVER_FIELDS: ServerProfileWeights = {
  slug: 4,
  description: 1,
  names: 1,
  text: 0.5,
};
const SPACE = ' ';
/** Past this many servers, only the tools of the best-ranked servers are scored… */
const TWO_STAGE_MIN_SERVERS = 40;
/** …namely of this share of the servers, but at least TWO_STAGE_MIN_KEEP of them. */
const TWO_STAGE_KEEP_SHARE = 0.1;
const TWO_STAGE_MIN_KEEP = 20;
/** Expansion terms held by more than this share of tools are skipped. */
const COMMON_TERM_SHARE = 0.2;

/** Concepts past the 31st share the last bit: coverage just stops telling them apart. */
function conceptBit(i: number): number {
  return 1 << Math.min(i, 30);
}
/** Unknown words shorter than this get no typo tolerance (too many accidental neighbours). */
const FUZZY_MIN_LENGTH = 4;

/**
 * Lexical tool search over the unified catalog: BM25 (MiniSearch) over analysed tool fields,
 * query words expanded with the vocabulary of tools, a server stage that lifts the tools of the
 * server a query is about, and typo tolerance for words the catalog doesn't know.
 * Updated per server; nothing is rebuilt per query.
 */
export class ToolSearchIndex {
  private readonly tools = new Map<string, IndexedTool>();
  private readonly actions = new Map<string, Action | undefined>();
  private readonly servers = new Map<string, ServerEntry>();
  /** term → number of tool documents holding it; a query word outside it gets typo tolerance. */
  private readonly vocabulary = new Map<string, number>();
  private readonly index: MiniSearch<ToolDocument>;
  private readonly serverProfiles: ServerProfileIndex;
  private readonly analyser: QueryAnalyser;
  private readonly fieldWeights: ToolFieldWeights;
  private readonly serverBoost: number;
  private readonly mentionBoost: number;
  private readonly fuzzy: number;
  private readonly actionBoost: number;
  private readonly actionPenalty: number;

  constructor(options: ToolSearchIndexOptions = {}) {
    this.fieldWeights = { ...DEFAULT_FIELDS, ...options.fieldWeights };
    this.serverBoost = options.serverBoost ?? 0.5;
    this.mentionBoost = options.mentionBoost ?? 1;
    this.fuzzy = options.fuzzy ?? 0.25;
    this.actionBoost = options.actionBoost ?? 0.3;
    this.actionPenalty = options.actionPenalty ?? 0.4;
    this.analyser = new QueryAnalyser(options);
    this.serverProfiles = new ServerProfileIndex({
      ...DEFAULT_SERVER_FIELDS,
      ...options.serverWeights,
    });
    this.index = new MiniSearch<ToolDocument>({
      fields: ['name', 'lead', 'body', 'params'],
      // Documents and queries are analysed by our own normaliser; MiniSearch only splits.
      tokenize: (text) => text.split(SPACE),
      processTerm: (term) => term || null,
    });
  }

  /** Replace all tools of one server (incremental: no full rebuild). */
  replaceServer(serverId: string, tools: IndexedTool[]): void {
    this.removeServer(serverId);
    // Paths are unique in the catalog; if one is already held by another server, the first stays.
    const accepted = tools.filter((t) => !this.tools.has(t.path));
    if (accepted.length === 0) return;
    const prefix = sharedNamePrefix(accepted);
    const terms: string[] = [];
    for (const tool of accepted) {
      const doc = buildToolDocument(tool, prefix);
      this.index.add(doc);
      this.tools.set(tool.path, tool);
      this.actions.set(tool.path, toolAction(tool.name, tool.description));
      for (const term of new Set(
        `${doc.name} ${doc.lead} ${doc.body} ${doc.params}`.split(SPACE),
      )) {
        if (term) terms.push(term);
      }
    }
    for (const term of terms) this.vocabulary.set(term, (this.vocabulary.get(term) ?? 0) + 1);
    this.servers.set(serverId, { tools: accepted, terms });
    this.serverProfiles.upsert(serverId, accepted);
  }

  removeServer(serverId: string): void {
    const entry = this.servers.get(serverId);
    if (!entry) return;
    for (const tool of entry.tools) {
      this.index.discard(tool.path);
      this.tools.delete(tool.path);
      this.actions.delete(tool.path);
    }
    for (const term of entry.terms) {
      const left = (this.vocabulary.get(term) ?? 1) - 1;
      if (left > 0) this.vocabulary.set(term, left);
      else this.vocabulary.delete(term);
    }
    this.servers.delete(serverId);
    this.serverProfiles.remove(serverId);
  }

  size(): number {
    return this.tools.size;
  }

  search(opts: SearchOptions): SearchAnswer {
    const query = opts.query.trim();
    if (query === '*') return this.list(this.admission(opts), opts.limit);
    const { concepts, action } = this.analyser.analyse(query);
    if (concepts.length === 0) return { hits: [], totalFound: 0 };

    // Every term of every concept; a term that stands for several query words counts for each
    // (as if each word were searched on its own). `conceptsOf`: term → bit mask of its concepts.
    const weights = new Map<string, number>();
    const conceptsOf = new Map<string, number>();
    concepts.forEach((concept, i) => {
      for (const [term, w] of concept.terms) {
        weights.set(term, w + (weights.get(term) ?? 0));
        conceptsOf.set(term, (conceptsOf.get(term) ?? 0) | conceptBit(i));
      }
    });
    const unknown = new Set(
      concepts.map((c) => c.stem).filter((stem) => !this.vocabulary.has(stem)),
    );
    // An expansion that most tools hold (get, list, all) adds no ranking signal, only work.
    const common = this.tools.size * COMMON_TERM_SHARE;
    const originals = new Set(concepts.map((c) => c.stem));
    for (const term of weights.keys()) {
      if (!originals.has(term) && (this.vocabulary.get(term) ?? 0) > common) weights.delete(term);
    }
    const serverScores = this.serverProfiles.score(weights);
    const named = this.serverProfiles.mentioned([...originals]);
    const candidates =
      opts.server === undefined
        ? this.candidateServers(serverScores, named, opts.visible)
        : undefined;
    const admit = this.admission(opts, candidates);
    const results = this.index.search([...weights.keys()].join(SPACE), {
      boost: { ...this.fieldWeights },
      boostTerm: (term) => weights.get(term) ?? 0,
      ...(admit ? { boostDocument: (id: unknown) => (admit(String(id)) ? 1 : 0) } : {}),
      // Typo tolerance and prefixes only for a word the catalog doesn't know (alowed, geocod):
      // on known words they mostly add noise.
      fuzzy: (term) => unknown.has(term) && term.length >= FUZZY_MIN_LENGTH && this.fuzzy,
      prefix: (term) => unknown.has(term) && term.length >= FUZZY_MIN_LENGTH - 1,
    });
    if (results.length === 0) return { hits: [], totalFound: 0 };

    const matched = results.map((r) => {
      let mask = 0;
      for (const term of r.queryTerms) mask |= conceptsOf.get(term) ?? 0;
      return mask;
    });
    const conceptWeights = this.conceptWeights(concepts, matched);
    // Coverage counts each query word by how telling it is (IDF); a word that matches nothing
    // in the catalog (a name, an id, a product nobody serves) counts for no tool, so it is left
    // out instead of lowering every tool alike.
    const coverable = conceptWeights.reduce((sum, w) => sum + w, 0);

    const top = new TopHits(opts.limit);
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      const tool = this.tools.get(String(r.id))!;
      // MiniSearch multiplies by the number of query terms matched; undo it, coverage is ours.
      const lexical = r.score / Math.max(1, r.queryTerms.length);
      let covered = 0;
      for (let c = 0; c < conceptWeights.length; c++) {
        if (matched[i] & conceptBit(c)) covered += conceptWeights[c];
      }
      const coverage = covered / coverable;
      const intent = this.actionFactor(action, this.actions.get(tool.path));
      const server = 1 + this.serverBoost * (serverScores.get(tool.serverId) ?? 0);
      const mention = named.has(tool.serverId) ? 1 + this.mentionBoost : 1;
      top.offer({ tool, score: lexical * coverage * intent * server * mention });
    }
    return { hits: top.sorted(), totalFound: results.length };
  }

  /**
   * How telling a query word is: the best IDF among its terms. A word the catalog doesn't know
   * matched only by typo tolerance counts at half its IDF: it may well be a name or an id that
   * happens to be one letter away from a real word.
   */
  private conceptWeights(concepts: readonly QueryConcept[], matched: readonly number[]): number[] {
    const n = this.tools.size;
    return concepts.map((concept, i) => {
      let hits = 0;
      for (const mask of matched) if (mask & conceptBit(i)) hits++;
      if (hits === 0) return 0;
      let best = 0;
      for (const [term, w] of concept.terms) {
        const df = this.vocabulary.get(term);
        if (df) best = Math.max(best, w * Math.log(1 + n / df));
      }
      return best > 0 ? best : 0.5 * Math.log(1 + n / hits);
    });
  }

  private actionFactor(wanted: Action | undefined, does: Action | undefined): number {
    if (!wanted || !does) return 1;
    if (wanted === does) return 1 + this.actionBoost;
    if (polarity(wanted) === polarity(does)) return 1 + this.actionBoost / 2;
    return 1 - this.actionPenalty;
  }

  /** Visibility and server filter, memoised per search (MiniSearch asks once per term and field). */
  /**
   * Two-stage ranking for large catalogs: only the tools of the servers the server stage ranks
   * best (and of servers the query names) are scored. Small catalogs score every tool.
   */
  private candidateServers(
    scores: Map<string, number>,
    named: Set<string>,
    visible: SearchOptions['visible'],
  ): Set<string> | undefined {
    if (this.servers.size <= TWO_STAGE_MIN_SERVERS) return undefined;
    const keep = Math.max(TWO_STAGE_MIN_KEEP, Math.ceil(this.servers.size * TWO_STAGE_KEEP_SHARE));
    const candidates = new Set(named);
    // Team and user are properties of a server instance, so one tool tells for all of them;
    // invisible servers never take a candidate's place.
    const isVisible = (id: string) => !visible || visible(this.servers.get(id)!.tools[0]);
    let kept = 0;
    for (const [id] of [...scores].sort((a, b) => b[1] - a[1])) {
      if (kept >= keep) break;
      if (this.servers.has(id) && isVisible(id)) {
        candidates.add(id);
        kept++;
      }
    }
    return candidates;
  }

  /**
   * The filter MiniSearch applies while scoring (visibility, server, two-stage candidates),
   * memoised per search since it asks once per term and field; undefined when nothing filters.
   */
  private admission(
    opts: SearchOptions,
    candidates?: Set<string>,
  ): ((path: string) => boolean) | undefined {
    if (opts.server === undefined && opts.visible === undefined && candidates === undefined)
      return undefined;
    const memo = new Map<string, boolean>();
    return (path) => {
      let ok = memo.get(path);
      if (ok === undefined) {
        const tool = this.tools.get(path);
        ok =
          tool !== undefined &&
          (candidates === undefined || candidates.has(tool.serverId)) &&
          (opts.server === undefined || tool.serverSlug === opts.server) &&
          (opts.visible === undefined || opts.visible(tool));
        memo.set(path, ok);
      }
      return ok;
    };
  }

  private list(admit: ((path: string) => boolean) | undefined, limit: number): SearchAnswer {
    const paths = [...this.tools.keys()].filter((p) => admit?.(p) ?? true).sort();
    return {
      hits: paths.slice(0, limit).map((path) => ({ tool: this.tools.get(path)!, score: 1 })),
      totalFound: paths.length,
    };
  }
}
