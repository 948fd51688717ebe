/** The options, queries and answers of the lexical tool search (`ToolSearchIndex`). */
import type { IndexedTool } from './indexed-tool.js';
import type { QueryAnalyserOptions } from './query-analyser.js';
import type { ServerProfileWeights } from './server-profile-index.js';
import type { TermNeighbourOptions, WordVectors } from './term-neighbours.js';

export interface ToolFieldWeights {
  readonly name: number;
  readonly lead: number;
  readonly body: number;
  readonly params: number;
}

/** The factors a tool's score is the product of (`SearchHit.factors` with `explain`). */
export const RANKING_FACTORS = [
  'lexical',
  'coverage',
  'serverCoverage',
  'intent',
  'scope',
  'server',
  'mention',
  'owner',
  'phrase',
  'clause',
  'feedback',
  'nameCoverage',
] as const;
export type RankingFactor = (typeof RANKING_FACTORS)[number];

/** Each factor's exponent when the options name none: the factors tried and not kept are off. */
export const DEFAULT_FACTOR_WEIGHTS: Readonly<Record<RankingFactor, number>> = {
  lexical: 1,
  coverage: 1,
  serverCoverage: 1,
  intent: 1,
  scope: 1,
  server: 1,
  mention: 1,
  owner: 1,
  phrase: 1,
  clause: 0,
  feedback: 0,
  nameCoverage: 0,
};

export interface ToolSearchIndexOptions extends QueryAnalyserOptions {
  /**
   * Exponent of each factor in the score (score = Π factor^weight); a factor left out keeps its
   * default (1 for the factors of the ranking, 0, i.e. off, for `clause`, `feedback` and
   * `nameCoverage`: 1 + the share of the query's words, by weight, the tool's name holds).
   */
  readonly factorWeights?: Partial<Record<RankingFactor, number>>;
  /**
   * How much a query word counts less for being used by many of the catalog's servers: its
   * weight × (log(1 + servers / servers using it) / log(1 + servers))^contextPower (0: off).
   */
  readonly contextPower?: number;
  /** Where `contextPower` applies: BM25's term weights, coverage's word weights, or both. */
  readonly contextScope?: 'both' | 'terms' | 'coverage';

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
  /**
   * Lift for a tool whose name, lead or parameters hold consecutive query words together ("two
   * numbers", "base branch"): score × (1 + phraseBoost × share of the query's word pairs, by IDF).
   */
  readonly phraseBoost?: number;

  /**
   * Lift for a reading tool whose scope is the query's: one thing by id or name
   * (`get_pull_request` for "PR #77") or many (`list_pull_requests` for "which PRs…").
   */
  readonly scopeBoost?: number;
  /**
   * Weight of the share of the query's words a tool's server covers with any of its tools:
   * score × share^serverCoveragePower (0 turns it off).
   */
  readonly serverCoveragePower?: number;
  /**
   * Lift for the tools of the server the query's words belong to (`ServerProfileIndex.ownership`):
   * score × (1 + ownershipBoost × ownership 0..1).
   */
  readonly ownershipBoost?: number;
  /**
   * Lift for the tools of a server a leading label names ("memory: …"), in place of
   * `mentionBoost`: the caller said which server before saying what to do.
   */
  readonly labelMentionBoost?: number;
  /** Whether a query word can name a server ("Sentry: …"); false for ablation. */
  readonly mentions?: boolean;
  /**
   * Word vectors for soft term matching: a query word gets the catalog terms nearest in meaning
   * as weighted alternatives (`term-neighbours.ts`). Without them, off.
   */
  readonly wordVectors?: WordVectors;
  /** How many neighbours, how near, how heavy, for which query words (with `wordVectors`). */
  readonly termNeighbours?: TermNeighbourOptions;
  /** BM25+ parameters (MiniSearch's defaults: k 1.2, b 0.7, d 0.5). */
  readonly bm25?: { readonly k: number; readonly b: number; readonly d: number };
}

export interface SearchOptions {
  readonly query: string;
  readonly limit: number;
  /** Only tools of this server slug (exact). */
  readonly server?: string;
  /** Applied before ranking: invisible tools are never scored, counted or returned. */
  readonly visible?: (tool: IndexedTool) => boolean;
  /** Development aid (bench/search/explain.ts): each hit carries the factors of its score. */
  readonly explain?: boolean;
}

export interface SearchHit {
  readonly tool: IndexedTool;
  /** Higher is better; comparable within one answer only. */
  readonly score: number;
  readonly factors?: Readonly<Record<string, number>>;
}

export interface SearchAnswer {
  readonly hits: SearchHit[];
  /** Visible tools that matched at all (or, for '*', that exist), before the limit. */
  readonly totalFound: number;
}
