/**
 * The one backoff of the satellite (docs/style.md §14): exponential with full jitter and a
 * floor. For attempt `n` (1-based, the n-th failure in a row):
 *
 *     ceiling(n) = min(maxMs, baseMs · factor^(n−1))
 *     floor(n)   = min(minMs, ceiling(n))
 *     delay(n)   = floor(n) + random() · (ceiling(n) − floor(n))        random() ∈ [0, 1)
 *
 * so `floor(n) ≤ delay(n) ≤ ceiling(n) ≤ maxMs`. Full jitter (the whole range below the ceiling
 * is random, not only half of it) spreads the retries of many satellites or many servers that
 * failed together, so they do not come back in lockstep; the floor keeps a dead peer from being
 * retried in a tight loop. No library: the scheduling (the clock's timers, per-caller failure
 * counts, `Retry-After`) stays with each caller, and this function is the whole of the rest.
 */
export interface BackoffPolicy {
  /** The ceiling of the first wait. */
  readonly baseMs: number;
  /** No wait is longer than this. */
  readonly maxMs: number;
  /** No wait is shorter than this (unless the ceiling itself is lower); default 0. */
  readonly minMs?: number;
  /** How much the ceiling grows per failure; default 2. */
  readonly factor?: number;
}

/** The ceiling of attempt `n` (the longest wait it can get). */
export function backoffCeiling(n: number, policy: BackoffPolicy): number {
  checkPolicy(policy);
  const { baseMs, maxMs, factor = 2 } = policy;
  const steps = Math.min(Math.max(Math.floor(n) - 1, 0), 64);
  return Math.max(0, Math.min(maxMs, baseMs * factor ** steps));
}

/** The wait before attempt `n` + 1 after `n` failures in a row (formula above), in whole ms. */
export function backoffDelay(
  n: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(n, policy);
  const floor = Math.min(Math.max(policy.minMs ?? 0, 0), ceiling);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(floor + r * (ceiling - floor));
}

function checkPolicy(policy: BackoffPolicy): void {
  const { baseMs, maxMs, minMs = 0, factor = 2 } = policy;
  for (const [name, v] of Object.entries({ baseMs, maxMs, minMs })) {
    if (!Number.isFinite(v) || v < 0)
      throw new RangeError(`backoff ${name} must be a finite number >= 0, got ${v}`);
  }
  if (!Number.isFinite(factor) || factor < 1)
    throw new RangeError(`backoff factor must be >= 1, got ${factor}`);
}
