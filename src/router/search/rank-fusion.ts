/**
 * Weighted reciprocal rank fusion (Cormack et al., SIGIR 2009): each ranked list gives an item
 * weight / (k + rank). Ranks, not raw scores, are fused, so BM25 scores and cosine similarities
 * need no common scale. k = 60 is the paper's value.
 */
export function reciprocalRankFusion(
  lists: ReadonlyArray<{ readonly ids: readonly string[]; readonly weight: number }>,
  k = 60,
): Map<string, number> {
  const fused = new Map<string, number>();
  for (const { ids, weight } of lists) {
    ids.forEach((id, i) => fused.set(id, (fused.get(id) ?? 0) + weight / (k + i + 1)));
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
