import type { BenchQuery } from './bench-data.js';

/** 1-based rank of the first expected path among the first 10 returned, or undefined. */
export function rankOf(
  returned: readonly string[],
  expected: readonly string[],
): number | undefined {
  const i = returned.slice(0, 10).findIndex((p) => expected.includes(p));
  return i < 0 ? undefined : i + 1;
}

export interface Quality {
  n: number;
  r1: number;
  r3: number;
  r5: number;
  mrr: number;
}

export function quality(ranks: readonly (number | undefined)[]): Quality {
  const n = ranks.length;
  const at = (k: number) => ranks.filter((r) => r !== undefined && r <= k).length / (n || 1);
  const mrr = ranks.reduce<number>((s, r) => s + (r ? 1 / r : 0), 0) / (n || 1);
  return { n, r1: at(1), r3: at(3), r5: at(5), mrr };
}

export interface Ranked {
  query: BenchQuery;
  rank: number | undefined;
  returned: string[];
}

/** Rows of the quality table: overall, the tuning / held-out halves (by server), and per kind. */
export function qualityTable(
  ranked: readonly Ranked[],
  heldOut: (q: BenchQuery) => boolean,
): Array<[string, Quality]> {
  const rows: Array<[string, Quality]> = [['all', quality(ranked.map((r) => r.rank))]];
  rows.push([
    'tuning servers',
    quality(ranked.filter((r) => !heldOut(r.query)).map((r) => r.rank)),
  ]);
  rows.push([
    'held-out servers',
    quality(ranked.filter((r) => heldOut(r.query)).map((r) => r.rank)),
  ]);
  const kinds = [...new Set(ranked.map((r) => r.query.kind))].sort();
  for (const kind of kinds) {
    rows.push([
      `kind: ${kind}`,
      quality(ranked.filter((r) => r.query.kind === kind).map((r) => r.rank)),
    ]);
  }
  return rows;
}

/**
 * Queries written in the style agents use (kinds `agent-…`: keyword lists, `server: task` shapes,
 * terse sentences) and the rest, written as people ask: issue 13 sets a target for each.
 */
export function byWriter(ranked: readonly Ranked[]): { agents: Quality; people: Quality } {
  const isAgent = (r: Ranked) => r.query.kind.startsWith('agent');
  return {
    agents: quality(ranked.filter(isAgent).map((r) => r.rank)),
    people: quality(ranked.filter((r) => !isAgent(r)).map((r) => r.rank)),
  };
}

export function formatQuality(rows: Array<[string, Quality]>): string {
  const head = `| set | n | recall@1 | recall@3 | recall@5 | MRR@10 |\n|---|---:|---:|---:|---:|---:|`;
  const f = (x: number) => x.toFixed(3);
  const body = rows.map(
    ([name, q]) => `| ${name} | ${q.n} | ${f(q.r1)} | ${f(q.r3)} | ${f(q.r5)} | ${f(q.mrr)} |`,
  );
  return [head, ...body].join('\n');
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
