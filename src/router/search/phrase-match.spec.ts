import { describe, expect, it } from '@jest/globals';
import { phraseShare, phraseText, queryPairs } from './phrase-match.js';

const idf = (term: string) => ({ base: 1, branch: 2, pull: 0.5, request: 0.5, pr: 3 })[term] ?? 0;

describe('queryPairs', () => {
  const words = (...terms: string[][]) =>
    terms.map((t, position) => ({ position, terms: t, bit: 1 << position }));

  it('pairs consecutive query words, weighted by the less telling one', () => {
    const pairs = queryPairs(words(['base'], ['branch'], ['pr', 'pull', 'request']), idf);
    expect(pairs).toEqual([
      { first: ['base'], second: ['branch'], weight: 1, mask: 0b011 },
      { first: ['branch'], second: ['pr', 'pull', 'request'], weight: 2, mask: 0b110 },
    ]);
  });

  it('leaves out pairs with a word the catalog does not know', () => {
    expect(queryPairs(words(['octocat'], ['branch']), idf)).toEqual([]);
    expect(queryPairs(words(['branch']), idf)).toEqual([]);
  });

  it('pairs no words that a left-out word stood between', () => {
    const pairs = queryPairs(
      [
        { position: 0, terms: ['base'], bit: 1 },
        { position: 2, terms: ['branch'], bit: 2 },
      ],
      idf,
    );
    expect(pairs).toEqual([]);
  });
});

describe('phraseShare', () => {
  const [baseBranch, branchPr] = queryPairs(
    [
      { position: 0, terms: ['base'], bit: 1 },
      { position: 1, terms: ['branch'], bit: 2 },
      { position: 2, terms: ['pr', 'pull', 'request'], bit: 4 },
    ],
    idf,
  );

  it('counts a pair when its words stand together, in query order', () => {
    expect(phraseShare(phraseText(['get', 'show base branch']), [baseBranch])).toBe(1);
    expect(phraseShare(phraseText(['get', 'show branch base']), [baseBranch])).toBe(0);
    expect(phraseShare(phraseText(['get', 'base of new branch']), [baseBranch])).toBe(0);
  });

  it('matches any form of a word (an abbreviation and its long form)', () => {
    expect(phraseShare(phraseText(['branch pull request']), [branchPr])).toBe(1);
  });

  it('never matches across fields or inside longer terms', () => {
    expect(phraseShare(phraseText(['get base', 'branch']), [baseBranch])).toBe(0);
    expect(phraseShare(phraseText(['database branches']), [baseBranch])).toBe(0);
  });

  it('looks up only pairs whose words the tool matches', () => {
    expect(phraseShare(phraseText(['base branch']), [baseBranch], 0b001)).toBe(0);
    expect(phraseShare(phraseText(['base branch']), [baseBranch], 0b011)).toBe(1);
  });

  it('is the held share of the pairs by weight', () => {
    expect(phraseShare(phraseText(['base branch']), [baseBranch, branchPr])).toBeCloseTo(1 / 3);
    expect(phraseShare(phraseText(['x']), [])).toBe(0);
  });
});
