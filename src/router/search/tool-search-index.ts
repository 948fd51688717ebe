import MiniSearch from 'minisearch';
import {
  type Action,
  actionFactor,
  polarity,
  type ReadScope,
  toolAction,
  toolReadScope,
} from './action-intent.js';
import type { IndexedTool } from './indexed-tool.js';
import { phraseShare, phraseText, queryPairs } from './phrase-match.js';
import { QueryAnalyser, type QueryConcept } from './query-analyser.js';
import { stemWord } from './text-normaliser.js';
import { ServerProfileIndex, type ServerProfileWeights } from './server-profile-index.js';
import {
  DEFAULT_FACTOR_WEIGHTS,
  type RankingFactor,
  type SearchAnswer,
  type SearchHit,
  type SearchOptions,
  type ToolFieldWeights,
  type ToolSearchIndexOptions,
} from './search-options.js';
import { TermNeighbours } from './term-neighbours.js';
import { buildToolDocument, sharedNamePrefix, type ToolDocument } from './tool-document.js';
import { type ScoredTool, TopHits } from './top-hits.js';

interface ServerEntry {
  readonly tools: IndexedTool[];
  /** Every term this server's tool documents hold, for the catalog vocabulary. */
  readonly terms: string[];
  /** The distinct terms of its tools, for the count of servers using a term (`contextPower` on). */
  readonly distinct: string[];
}

/** Pseudo-relevance feedback: terms are taken from this many of the first pass's best tools… */
const FEEDBACK_DOCS = 3;
/** …the most distinctive this many of their terms (by IDF, weighted by the tools' scores)… */
const FEEDBACK_TERMS = 10;
/** …and this many of the first pass's best tools are re-ranked by them. */
const FEEDBACK_DEPTH = 30;

/** factor^weight, without the power when the weight is 1. */
function weighted(factor: number, weight: number): number {
  return weight === 1 ? factor : weight === 0 ? 1 : factor ** weight;
}

const DEFAULT_FIELDS: ToolFieldWeights = { name: 3, lead: 1.5, body: 0.5, params: 0.5 };
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
/** Loose expansion terms held by more than this share of tools are skipped. */
const COMMON_TERM_SHARE = 0.2;
/** An alternative at least this close in weight to the word itself says the same (a typo's fix). */
const EXACT_TERM_WEIGHT = 0.75;

/** A query word and the forms that say the same (the word with two letters swapped back). */
function exactTerms(concept: QueryConcept): string[] {
  const own = concept.terms.get(concept.stem) ?? 1;
  return [...concept.terms].filter(([, w]) => w >= EXACT_TERM_WEIGHT * own).map(([t]) => t);
}

/** Concepts past the 31st share the last bit: coverage just stops telling them apart. */
function conceptBit(i: number): number {
  return 1 << Math.min(i, 30);
}
/** Weight of a catalog word that is the query's with two neighbouring letters swapped. */
const TRANSPOSED_WEIGHT = 0.9;
/** Unknown words shorter than this get no typo tolerance (too many accidental neighbours). */
const FUZZY_MIN_LENGTH = 4;
/** …and shorter than this no prefix matching. */
const PREFIX_MIN_LENGTH = 3;

/**
 * Lexical tool search over the unified catalog: BM25 (MiniSearch) over analysed tool fields,
 * query words expanded with the vocabulary of tools, a server stage that lifts the tools of the
 * server a query is about, and typo tolerance for words the catalog doesn't know.
 * Updated per server; nothing is rebuilt per query.
 */
export class ToolSearchIndex {
  private readonly tools = new Map<string, IndexedTool>();
  private readonly actions = new Map<string, Action | undefined>();
  private readonly scopes = new Map<string, ReadScope | undefined>();
  /** path → the tool's name, lead and parameter terms in order, for phrases (`phraseText`). */
  private readonly phraseTexts = new Map<string, string>();
  private readonly servers = new Map<string, ServerEntry>();
  /** term → number of tool documents holding it; a query word outside it gets typo tolerance. */
  private readonly vocabulary = new Map<string, number>();
  /** term → number of servers whose tools hold it (`contextPower`). */
  private readonly serverVocabulary = new Map<string, number>();
  private readonly index: MiniSearch<ToolDocument>;
  private readonly serverProfiles: ServerProfileIndex;
  private readonly analyser: QueryAnalyser;
  private readonly fieldWeights: ToolFieldWeights;
  private readonly serverBoost: number;
  private readonly mentionBoost: number;
  private readonly fuzzy: number;
  private readonly actionBoost: number;
  private readonly actionPenalty: number;
  private readonly phraseBoost: number;
  private readonly scopeBoost: number;
  private readonly serverCoveragePower: number;
  private readonly ownershipBoost: number;
  private readonly labelMentionBoost: number;
  private readonly mentions: boolean;
  private readonly factorWeights: Readonly<Record<RankingFactor, number>>;
  private readonly contextPower: number;
  private readonly contextScope: 'both' | 'terms' | 'coverage';
  private readonly bm25?: { readonly k: number; readonly b: number; readonly d: number };
  private readonly neighbours?: TermNeighbours;

  constructor(options: ToolSearchIndexOptions = {}) {
    this.fieldWeights = { ...DEFAULT_FIELDS, ...options.fieldWeights };
    this.serverBoost = options.serverBoost ?? 0.5;
    this.mentionBoost = options.mentionBoost ?? 10;
    this.fuzzy = options.fuzzy ?? 0.25;
    this.actionBoost = options.actionBoost ?? 0.3;
    this.actionPenalty = options.actionPenalty ?? 0.4;
    this.phraseBoost = options.phraseBoost ?? 2;
    this.scopeBoost = options.scopeBoost ?? 0.3;
    this.serverCoveragePower = options.serverCoveragePower ?? 0.5;
    this.ownershipBoost = options.ownershipBoost ?? 1;
    this.labelMentionBoost = options.labelMentionBoost ?? 100;
    this.mentions = options.mentions ?? true;
    this.factorWeights = { ...DEFAULT_FACTOR_WEIGHTS, ...options.factorWeights };
    this.contextPower = options.contextPower ?? 0;
    this.contextScope = options.contextScope ?? 'both';
    if (options.bm25) this.bm25 = options.bm25;
    if (options.wordVectors)
      this.neighbours = new TermNeighbours(options.wordVectors, options.termNeighbours);
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
    const perTool: string[][] = [];
    for (const tool of accepted) {
      const doc = buildToolDocument(tool, prefix);
      this.index.add(doc);
      this.tools.set(tool.path, tool);
      const action = toolAction(tool.name, tool.description);
      this.actions.set(tool.path, action);
      this.scopes.set(tool.path, action === 'read' ? toolReadScope(tool.name) : undefined);
      this.phraseTexts.set(tool.path, phraseText([doc.name, doc.lead, doc.params]));
      const distinct = [
        ...new Set(`${doc.name} ${doc.lead} ${doc.body} ${doc.params}`.split(SPACE)),
      ].filter(Boolean);
      perTool.push(distinct);
      terms.push(...distinct);
    }
    for (const term of terms) this.vocabulary.set(term, (this.vocabulary.get(term) ?? 0) + 1);
    // Kept only when context weighting is on (off by default: docs/search.md, issue 13 part 2).
    const distinct = this.contextPower > 0 ? [...new Set(terms)] : [];
    for (const term of distinct)
      this.serverVocabulary.set(term, (this.serverVocabulary.get(term) ?? 0) + 1);
    this.servers.set(serverId, { tools: accepted, terms, distinct });
    this.serverProfiles.upsert(serverId, accepted, perTool);
    this.neighbours?.invalidate();
  }

  removeServer(serverId: string): void {
    const entry = this.servers.get(serverId);
    if (!entry) return;
    for (const tool of entry.tools) {
      this.index.discard(tool.path);
      this.tools.delete(tool.path);
      this.actions.delete(tool.path);
      this.scopes.delete(tool.path);
      this.phraseTexts.delete(tool.path);
    }
    for (const term of entry.terms) {
      const left = (this.vocabulary.get(term) ?? 1) - 1;
      if (left > 0) this.vocabulary.set(term, left);
      else this.vocabulary.delete(term);
    }
    for (const term of entry.distinct) {
      const left = (this.serverVocabulary.get(term) ?? 1) - 1;
      if (left > 0) this.serverVocabulary.set(term, left);
      else this.serverVocabulary.delete(term);
    }
    this.servers.delete(serverId);
    this.serverProfiles.remove(serverId);
    this.neighbours?.invalidate();
  }

  size(): number {
    return this.tools.size;
  }

  /** The indexed tools, unordered; with `server` / `visible`, only those the filters admit. */
  *entries(filter: Pick<SearchOptions, 'server' | 'visible'> = {}): Generator<IndexedTool> {
    for (const tool of this.tools.values()) {
      if (filter.server !== undefined && tool.serverSlug !== filter.server) continue;
      if (filter.visible && !filter.visible(tool)) continue;
      yield tool;
    }
  }

  search(opts: SearchOptions): SearchAnswer {
    const query = opts.query.trim();
    if (query === '*') return this.list(this.admission(opts), opts.limit);
    const analysed = this.analyser.analyse(query);
    const { action } = analysed;
    const mentions = this.mentions
      ? this.serverProfiles.mentioned(
          analysed.concepts.map((c) => ({ stem: c.stem, forms: exactTerms(c) })),
          analysed.label,
        )
      : { servers: new Set<string>(), stems: new Set<string>(), byLabel: new Set<string>() };
    const named = mentions.servers;
    // A word that names a server picks the server (below); within it, it would only favour the
    // tools that happen to repeat the product's name, so tools are ranked on the other words.
    let concepts = analysed.concepts.filter((c) => !mentions.stems.has(c.stem));
    if (concepts.length === 0) concepts = analysed.concepts;
    if (concepts.length === 0) return { hits: [], totalFound: 0 };

    // Two letters swapped is the commonest typo ("alrets"), and two edits to typo tolerance.
    concepts = concepts.map((c) => this.withTranspositions(c));
    // Expansion hook: a concept may carry further weighted terms that say the same (its
    // `terms`), as the swapped-letter forms above do; coverage counts a concept once.
    // Words near in meaning, from word vectors (`term-neighbours.ts`), when configured.
    if (this.neighbours)
      concepts = concepts.map((c) => this.neighbours!.expand(c, this.vocabulary));

    // Every term of every concept; a term that stands for several query words counts for each
    // (as if each word were searched on its own). `conceptsOf`: term → bit mask of its concepts.
    const context = concepts.map((c) => this.contextWeight(c.stem));
    const weights = new Map<string, number>();
    const conceptsOf = new Map<string, number>();
    concepts.forEach((concept, i) => {
      for (const [term, w] of concept.terms) {
        const c = this.contextScope === 'coverage' ? 1 : context[i];
        weights.set(term, w * c + (weights.get(term) ?? 0));
        conceptsOf.set(term, (conceptsOf.get(term) ?? 0) | conceptBit(i));
      }
    });
    // Words with digits are ids and versions (8a3f2c, v2), never misspellings.
    const unknown = new Set(
      concepts.map((c) => c.stem).filter((stem) => !this.vocabulary.has(stem) && !/\d/.test(stem)),
    );
    // A loose alternative (a CamelCase part) that most tools hold adds no ranking signal, only
    // work. The words themselves always stay: they say what the query says.
    const common = this.tools.size * COMMON_TERM_SHARE;
    const exact = new Set(concepts.flatMap(exactTerms));
    for (const term of weights.keys()) {
      if (!exact.has(term) && (this.vocabulary.get(term) ?? 0) > common) weights.delete(term);
    }
    const serverScores = this.serverProfiles.score(
      new Map([...weights, ...analysed.concepts.map((c) => [c.stem, 1] as const)]),
    );
    const candidates =
      opts.server === undefined
        ? this.candidateServers(serverScores, named, opts.visible)
        : undefined;
    const admit = this.admission(opts, candidates);
    const results = this.index.search([...weights.keys()].join(SPACE), {
      boost: { ...this.fieldWeights },
      boostTerm: (term) => weights.get(term) ?? 0,
      ...(this.bm25 ? { bm25: this.bm25 } : {}),
      ...(admit ? { boostDocument: (id: unknown) => (admit(String(id)) ? 1 : 0) } : {}),
      // Typo tolerance and prefixes only for a word the catalog doesn't know (alowed, geocod):
      // on known words they mostly add noise.
      fuzzy: (term) => unknown.has(term) && term.length >= FUZZY_MIN_LENGTH && this.fuzzy,
      prefix: (term) => unknown.has(term) && term.length >= PREFIX_MIN_LENGTH,
    });
    const byName = this.factorWeights.nameCoverage !== 0 || opts.explain === true;
    const found = results.map((r) => {
      let mask = 0;
      let nameMask = 0;
      for (const term of r.queryTerms) {
        mask |= conceptsOf.get(term) ?? 0;
        if (byName && (r.match[term] as string[] | undefined)?.includes('name'))
          nameMask |= conceptsOf.get(term) ?? 0;
      }
      // MiniSearch multiplies by the number of query terms matched; undo it, coverage is ours.
      return {
        path: String(r.id),
        lexical: r.score / Math.max(1, r.queryTerms.length),
        mask,
        nameMask,
      };
    });
    this.addNamedServerTools(found, named, admit);
    if (found.length === 0) return { hits: [], totalFound: 0 };

    const conceptWeights = this.conceptWeights(
      concepts,
      found.map((f) => f.mask),
    ).map((w, i) => (this.contextScope === 'terms' ? w : w * context[i]));
    // Clause coverage is off by default (weight 0): computed only when it counts or is explained.
    const clauseShare =
      this.factorWeights.clause !== 0 || opts.explain
        ? this.clauseShare(concepts, conceptWeights)
        : undefined;
    // Coverage counts each query word by how telling it is (IDF); a word that matches nothing
    // in the catalog (a name, an id, a product nobody serves) counts for no tool, so it is left
    // out instead of lowering every tool alike. A word that names a server is covered by every
    // tool of that server, and by no other.
    const namedByWords = concepts !== analysed.concepts;
    const mentionWeight = namedByWords ? this.mentionWeight(named) : 0;
    const coverable = conceptWeights.reduce((sum, w) => sum + w, mentionWeight);
    const ownership =
      this.ownershipBoost > 0
        ? this.serverProfiles.ownership(
            concepts.map((c, i) => ({ terms: exactTerms(c), weight: conceptWeights[i] })),
          )
        : new Map<string, number>();

    // Phrases: consecutive query words (not quoted names) that the tool's text also has together.
    const n = this.tools.size;
    const pairs = queryPairs(
      concepts.flatMap((c, i) =>
        (c.terms.get(c.stem) ?? 0) >= 1
          ? [{ position: c.position, terms: exactTerms(c), bit: conceptBit(i) }]
          : [],
      ),
      (term) => {
        const df = this.vocabulary.get(term);
        return df ? Math.log(1 + n / df) : 0;
      },
    );

    // The query's words that each server covers with any of its tools: of two tools that match
    // alike, the one whose server answers the rest of the query too is about the right product.
    const serverMasks = new Map<string, number>();
    for (const { path, mask } of found) {
      const id = this.tools.get(path)!.serverId;
      serverMasks.set(id, (serverMasks.get(id) ?? 0) | mask);
    }
    const coveredBy = (mask: number, serverId: string) => {
      let covered = named.has(serverId) ? mentionWeight : 0;
      for (let c = 0; c < conceptWeights.length; c++) {
        if (mask & conceptBit(c)) covered += conceptWeights[c];
      }
      return covered / coverable;
    };

    const fw = this.factorWeights;
    const feedback = fw.feedback !== 0;
    const top = new TopHits(feedback ? Math.max(opts.limit, FEEDBACK_DEPTH) : opts.limit);
    // The most the phrase factor can lift a tool by, for looking it up only where it could count.
    const phraseCeiling = fw.phrase > 0 ? (1 + this.phraseBoost) ** fw.phrase : 1;
    for (const { path, lexical, mask, nameMask } of found) {
      const tool = this.tools.get(path)!;
      const coverage = coveredBy(mask, tool.serverId);
      const serverCoverage =
        coveredBy(serverMasks.get(tool.serverId) ?? mask, tool.serverId) **
        this.serverCoveragePower;
      const intent = actionFactor({
        wanted: action,
        does: this.actions.get(tool.path),
        boost: this.actionBoost,
        penalty: this.actionPenalty,
      });
      // Among reading tools: one thing by its id or name, or many (search, list)?
      const scope =
        analysed.scope !== undefined &&
        (action === undefined || polarity(action) !== 'write') &&
        analysed.scope === this.scopes.get(tool.path)
          ? 1 + this.scopeBoost
          : 1;
      const server = 1 + this.serverBoost * (serverScores.get(tool.serverId) ?? 0);
      const mention = mentions.byLabel.has(tool.serverId)
        ? 1 + this.labelMentionBoost
        : named.has(tool.serverId)
          ? 1 + this.mentionBoost
          : 1;
      const owner = 1 + this.ownershipBoost * (ownership.get(tool.serverId) ?? 0);
      const nameCoverage = byName ? 1 + coveredBy(nameMask, '') : 1;
      const clause = clauseShare ? 1 + clauseShare(mask) : 1;
      const unphrased =
        weighted(lexical, fw.lexical) *
        weighted(coverage, fw.coverage) *
        weighted(serverCoverage, fw.serverCoverage) *
        weighted(intent, fw.intent) *
        weighted(scope, fw.scope) *
        weighted(server, fw.server) *
        weighted(mention, fw.mention) *
        weighted(owner, fw.owner) *
        weighted(clause, fw.clause) *
        weighted(nameCoverage, fw.nameCoverage);
      // Phrases are looked up only where they could still lift the tool into the answer.
      const phrase =
        pairs.length > 0 &&
        this.phraseBoost > 0 &&
        (opts.explain || unphrased * phraseCeiling >= top.floor())
          ? 1 + this.phraseBoost * phraseShare(this.phraseTexts.get(path) ?? '', pairs, mask)
          : 1;
      const score = unphrased * weighted(phrase, fw.phrase);
      top.offer({
        tool,
        score,
        ...(opts.explain
          ? {
              factors: {
                lexical,
                coverage,
                serverCoverage,
                intent,
                scope,
                server,
                mention,
                owner,
                phrase,
                clause,
                nameCoverage,
              },
            }
          : {}),
      });
    }
    const hits = feedback || opts.explain ? this.withFeedback(top.sorted(), weights, opts) : null;
    return { hits: hits ?? top.sorted(), totalFound: found.length };
  }

  /**
   * Pseudo-relevance feedback (RM3-like, from the catalog's own text): the most distinctive terms
   * of the first pass's best tools (names, leads, parameters), weighted by their scores, that the
   * query does not hold; the
   * first pass's best tools re-ranked by × (1 + their share of those terms)^feedback weight.
   * With `explain`, each hit carries the factor even when its weight is 0.
   */
  private withFeedback(
    first: ScoredTool[],
    queryTerms: ReadonlyMap<string, number>,
    opts: SearchOptions,
  ): SearchHit[] {
    const weight = this.factorWeights.feedback;
    const docs = first.slice(0, FEEDBACK_DOCS);
    const total = docs.reduce((sum, d) => sum + d.score, 0);
    const n = this.tools.size;
    const termWeights = new Map<string, number>();
    if (total > 0) {
      for (const doc of docs) {
        for (const term of this.phraseTerms(doc.tool.path)) {
          if (queryTerms.has(term)) continue;
          const df = this.vocabulary.get(term) ?? n;
          termWeights.set(
            term,
            (termWeights.get(term) ?? 0) + (doc.score / total) * Math.log(1 + n / df),
          );
        }
      }
    }
    const chosen = [...termWeights].sort((a, b) => b[1] - a[1]).slice(0, FEEDBACK_TERMS);
    const sum = chosen.reduce((s, [, w]) => s + w, 0);
    const expansion = new Map(chosen.map(([t, w]) => [t, sum > 0 ? w / sum : 0]));
    const depth = opts.explain ? first.length : Math.min(first.length, FEEDBACK_DEPTH);
    const reranked = first.slice(0, depth).map((hit) => {
      let share = 0;
      for (const term of this.phraseTerms(hit.tool.path)) share += expansion.get(term) ?? 0;
      const factor = 1 + share;
      return {
        ...hit,
        score: hit.score * weighted(factor, weight),
        ...(hit.factors ? { factors: { ...hit.factors, feedback: factor } } : {}),
      };
    });
    const top = new TopHits(opts.limit);
    for (const hit of reranked) top.offer(hit);
    return top.sorted();
  }

  /**
   * The distinct terms of a tool's name, lead and parameters (from its phrase text: kept anyway,
   * so feedback holds no per-tool term lists of its own).
   */
  private phraseTerms(path: string): Set<string> {
    const terms = new Set((this.phraseTexts.get(path) ?? '').split(SPACE));
    terms.delete('');
    terms.delete('|');
    return terms;
  }

  /**
   * How little a query word tells for being used by many of the catalog's servers (a context
   * word such as "data" or "project"): (log(1 + S / servers using it) / log(1 + S))^contextPower,
   * 1 when off or for a word no server uses.
   */
  private contextWeight(stem: string): number {
    if (this.contextPower === 0) return 1;
    const using = this.serverVocabulary.get(stem);
    const servers = this.servers.size;
    if (!using || servers < 2) return 1;
    return (Math.log(1 + servers / using) / Math.log(1 + servers)) ** this.contextPower;
  }

  /**
   * For a query of two clauses or more ("list the tables, the data lives in our warehouse"):
   * the share of its best-covered clause's words (by weight) a tool's matched words cover, as a
   * function of the tool's concept mask; undefined for a query of one clause.
   */
  private clauseShare(
    concepts: readonly QueryConcept[],
    conceptWeights: readonly number[],
  ): ((mask: number) => number) | undefined {
    const clauses = new Map<number, { mask: number; total: number }>();
    concepts.forEach((c, i) => {
      if (c.clause < 0 || conceptWeights[i] <= 0) return;
      const entry = clauses.get(c.clause) ?? { mask: 0, total: 0 };
      entry.mask |= conceptBit(i);
      entry.total += conceptWeights[i];
      clauses.set(c.clause, entry);
    });
    if (clauses.size < 2) return undefined;
    const list = [...clauses.values()];
    return (mask) => {
      let best = 0;
      for (const { mask: clause, total } of list) {
        let covered = 0;
        for (let c = 0; c < conceptWeights.length; c++) {
          if (clause & mask & conceptBit(c)) covered += conceptWeights[c];
        }
        best = Math.max(best, covered / total);
      }
      return best;
    };
  }

  /**
   * The tools of a server the query names are candidates even when no other word of the query
   * matches them ("Slack: who is U123?"): the caller asked for that server.
   * They enter at half the median lexical match, so a tool of theirs that matches well stays
   * ahead of them.
   */
  private addNamedServerTools(
    found: Array<{ path: string; lexical: number; mask: number; nameMask: number }>,
    named: ReadonlySet<string>,
    admit: ((path: string) => boolean) | undefined,
  ): void {
    if (named.size === 0) return;
    const have = new Set(found.map((f) => f.path));
    const lexical = found.map((f) => f.lexical).sort((a, b) => a - b);
    const floor = lexical.length > 0 ? 0.5 * lexical[Math.floor(lexical.length / 2)] : 1;
    for (const id of named) {
      for (const tool of this.servers.get(id)?.tools ?? []) {
        if (have.has(tool.path) || (admit && !admit(tool.path))) continue;
        found.push({ path: tool.path, lexical: floor, mask: 0, nameMask: 0 });
      }
    }
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

  /**
   * A word the catalog doesn't know, with the catalog's words that are it with two neighbouring
   * letters swapped (`alrets` → alert) as alternatives, nearly at the word's own weight.
   */
  private withTranspositions(concept: QueryConcept): QueryConcept {
    const { stem } = concept;
    if (stem.length < FUZZY_MIN_LENGTH || /\d/.test(stem) || this.vocabulary.has(stem))
      return concept;
    const own = concept.terms.get(stem) ?? 1;
    const terms = new Map(concept.terms);
    for (let i = 0; i + 1 < stem.length; i++) {
      if (stem[i] === stem[i + 1]) continue;
      const swapped = stem.slice(0, i) + stem[i + 1] + stem[i] + stem.slice(i + 2);
      const forms = [swapped, stemWord(swapped)];
      for (const form of forms) {
        if (this.vocabulary.has(form) && !terms.has(form)) terms.set(form, TRANSPOSED_WEIGHT * own);
      }
    }
    return terms.size === concept.terms.size ? concept : { ...concept, terms };
  }

  /** How telling the naming of servers is: the IDF of "is a tool of one of these servers". */
  private mentionWeight(named: ReadonlySet<string>): number {
    if (named.size === 0) return 0;
    let tools = 0;
    for (const id of named) tools += this.servers.get(id)?.tools.length ?? 0;
    return Math.log(1 + this.tools.size / Math.max(1, tools));
  }

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
   * undefined when nothing filters. Worked out once per search over the servers that may hold
   * admitted tools: MiniSearch asks for every posting of every query term.
   */
  private admission(
    opts: SearchOptions,
    candidates?: Set<string>,
  ): ((path: string) => boolean) | undefined {
    if (opts.server === undefined && opts.visible === undefined && candidates === undefined)
      return undefined;
    const admitted = new Set<string>();
    for (const [id, entry] of this.servers) {
      if (candidates !== undefined && !candidates.has(id)) continue;
      for (const tool of entry.tools) {
        if (opts.server !== undefined && tool.serverSlug !== opts.server) continue;
        if (opts.visible !== undefined && !opts.visible(tool)) continue;
        admitted.add(tool.path);
      }
    }
    return (path) => admitted.has(path);
  }

  private list(admit: ((path: string) => boolean) | undefined, limit: number): SearchAnswer {
    const paths = [...this.tools.keys()].filter((p) => admit?.(p) ?? true).sort();
    return {
      hits: paths.slice(0, limit).map((path) => ({ tool: this.tools.get(path)!, score: 1 })),
      totalFound: paths.length,
    };
  }
}
