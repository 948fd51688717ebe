import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { IndexedTool } from '../../src/router/search/indexed-tool.js';

export const DATA_DIR = resolve(import.meta.dirname, '..', 'data', 'tool-search');

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

export function loadCatalog(file = resolve(DATA_DIR, 'dev-catalog.json')): Catalog {
  return JSON.parse(readFileSync(file, 'utf8')) as Catalog;
}

export function loadQueries(file = resolve(DATA_DIR, 'dev-queries.jsonl')): BenchQuery[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as BenchQuery);
}

/** Tuning set and held-out set: odd ids are for tuning, even ids check that gains carry over. */
export function isHeldOut(q: BenchQuery): boolean {
  const n = Number(/(\d+)$/.exec(q.id)?.[1] ?? 0);
  return n % 2 === 0;
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
