import { describe, expect, it } from '@jest/globals';
import { cosine, relativeScoreFusion } from './rank-fusion.js';

describe('relativeScoreFusion', () => {
  it('scales each list to 0..1 and sums by weight, so a confident first hit stays first', () => {
    const fused = relativeScoreFusion([
      // Lexical: a clear winner, then two close ones.
      {
        scores: new Map([
          ['a', 100],
          ['b', 12],
          ['c', 10],
        ]),
        weight: 1,
      },
      // Semantic: prefers c, then b, then a, all close.
      {
        scores: new Map([
          ['c', 0.62],
          ['b', 0.6],
          ['a', 0.58],
        ]),
        weight: 0.5,
      },
    ]);
    expect(fused.get('a')).toBeCloseTo(1);
    expect(fused.get('b')).toBeCloseTo(2 / 90 + 0.25);
    expect(fused.get('c')).toBeCloseTo(0.5);
    expect([...fused].sort((x, y) => y[1] - x[1]).map(([id]) => id)).toEqual(['a', 'c', 'b']);
  });

  it('counts what a list lacks as 0 from it, and a single candidate as its best', () => {
    const fused = relativeScoreFusion([
      { scores: new Map([['a', 3]]), weight: 1 },
      {
        scores: new Map([
          ['b', 0.9],
          ['a', 0.1],
        ]),
        weight: 0.5,
      },
    ]);
    expect(Object.fromEntries(fused)).toEqual({ a: 1, b: 0.5 });
  });
});

describe('cosine', () => {
  it('is 1 for the same direction, 0 for orthogonal or empty vectors', () => {
    expect(cosine([1, 2], [2, 4])).toBeCloseTo(1);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([0, 0], [1, 1])).toBe(0);
  });
});
