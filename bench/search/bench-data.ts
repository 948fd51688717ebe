import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IndexedTool } from '../../src/router/search/indexed-tool.js';

export const DATA_DIR = resolve(import.meta.dirname, '..', 'data', 'tool-search');
/**
 * The catalog and queries scored; another set in the same format (README.md beside them) is
 * scored with `TOOL_SEARCH_CATALOG=… TOOL_SEARCH_QUERIES=… npm run bench:search`.
 */
export const CATALOG_FILE = resolve(
  process.env.TOOL_SEARCH_CATALOG ?? resolve(DATA_DIR, 'dev-catalog.json'),
);
export const QUERIES_FILE = resolve(
  process.env.TOOL_SEARCH_QUERIES ?? resolve(DATA_DIR, 'dev-queries.jsonl'),
);

export interface CatalogTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: unknown;
}

/** server slug → its tools, as the upstream servers list them. */
export type Catalog = Record<string, CatalogTool[]>;

export interface BenchQuery {
  id: string;
  query: string;
  expected: string[];
  kind: string;
}

/** The unseen set (bench/data/tool-search-extra/README.md): other servers, other queries. */
export const EXTRA_DIR = resolve(import.meta.dirname, '..', 'data', 'tool-search-extra');
export const EXTRA_CATALOG_FILE = resolve(EXTRA_DIR, 'extra-catalog.json');
export const EXTRA_QUERIES_FILE = resolve(EXTRA_DIR, 'extra-queries.jsonl');

export function loadCatalog(file = CATALOG_FILE): Catalog {
  return JSON.parse(readFileSync(file, 'utf8')) as Catalog;
}

export function loadQueries(file = QUERIES_FILE): BenchQuery[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as BenchQuery);
}

/** The server of a tool path: the longest catalog slug it starts with (paths never split on '-'). */
export function serverOfPath(path: string, slugs: readonly string[]): string {
  let best = '';
  for (const slug of slugs)
    if (path.startsWith(`${slug}-`) && slug.length > best.length) best = slug;
  return best;
}

/** The server a query is about: the server of its first expected tool. */
export function serverOfQuery(q: BenchQuery, slugs: readonly string[]): string {
  return serverOfPath(q.expected[0] ?? '', slugs);
}

/**
 * Splits the catalog's servers into `k` folds of about equal query counts: servers by number of
 * queries (then slug), each into the fold with the fewest queries so far. Deterministic, and by
 * server, so a fold's queries are about tools whose names and descriptions were not looked at
 * while tuning on the other folds.
 */
export function serverFolds(
  queries: readonly BenchQuery[],
  slugs: readonly string[],
  k: number,
): string[][] {
  const counts = new Map(slugs.map((s) => [s, 0]));
  for (const q of queries) {
    const s = serverOfQuery(q, slugs);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const folds = Array.from({ length: k }, () => ({ servers: [] as string[], queries: 0 }));
  for (const [slug, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
    const fold = folds.reduce((min, f) => (f.queries < min.queries ? f : min));
    fold.servers.push(slug);
    fold.queries += n;
  }
  return folds.map((f) => f.servers.sort());
}

/** The catalog's tools for one server, as the index gets them from the satellite's catalog. */
export function indexedTools(slug: string, tools: CatalogTool[], serverId = slug): IndexedTool[] {
  return tools.map((t) => ({
    path: `${slug}-${t.name}`,
    serverId,
    serverSlug: slug,
    team: 'default',
    transport: 'stdio',
    name: t.name,
    ...(t.title ? { title: t.title } : {}),
    description: t.description ?? '',
    inputSchema: t.inputSchema,
  }));
}

/**
 * The catalog replicated until it holds at least `target` tools: copy k of server `s` is served
 * as `s-copy<k>`, so paths stay unique and the vocabulary stays realistic.
 */
export function replicate(catalog: Catalog, target: number): Map<string, IndexedTool[]> {
  const servers = new Map<string, IndexedTool[]>();
  let count = 0;
  for (let copy = 0; count < target; copy++) {
    for (const [slug, tools] of Object.entries(catalog)) {
      if (count >= target) break;
      const name = copy === 0 ? slug : `${slug}-copy${copy}`;
      servers.set(name, indexedTools(name, tools));
      count += tools.length;
    }
  }
  return servers;
}

export interface QuerySplit {
  readonly tuning: readonly string[];
  readonly heldOut: readonly string[];
  readonly isHeldOut: (q: BenchQuery) => boolean;
}

/** The tuning / held-out split of the queries, by the server each is about. */
export function splitByServer(queries: readonly BenchQuery[], catalog: Catalog): QuerySplit {
  const slugs = Object.keys(catalog);
  const [tuning, heldOut] = serverFolds(queries, slugs, 2);
  const held = new Set(heldOut);
  return { tuning, heldOut, isHeldOut: (q) => held.has(serverOfQuery(q, slugs)) };
}
