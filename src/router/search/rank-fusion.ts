/**
 * Relative score fusion: each list's scores scaled to 0..1 over its own candidates (min-max), then
 * summed by weight; an item a list lacks gets 0 from it. Unlike rank fusion it keeps how far apart
 * a list puts its candidates, so a confident first hit stays first unless the other list disagrees
 * strongly. Reciprocal rank fusion (k = 60) was measured first and dropped: it treats ranks 1
 * and 5 of a confident lexical ranking alike (docs/search.md).
 */
export function relativeScoreFusion(
  lists: ReadonlyArray<{ readonly scores: ReadonlyMap<string, number>; readonly weight: number }>,
): Map<string, number> {
  const fused = new Map<string, number>();
  for (const { scores, weight } of lists) {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores.values()) {
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    const span = max - min;
    for (const [id, s] of scores) {
      const scaled = span > 0 ? (s - min) / span : 1;
      fused.set(id, (fused.get(id) ?? 0) + weight * scaled);
    }
  }
  return fused;
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
