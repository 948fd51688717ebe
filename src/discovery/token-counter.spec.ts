import { describe, expect, it } from '@jest/globals';
import { countJsonTokens, countTokens } from './token-counter.js';

describe('countTokens', () => {
  it('counts o200k_base tokens', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
  });

  it('treats special-token markers in tool text as plain text', () => {
    expect(countTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('counts a value as JSON', () => {
    expect(countJsonTokens({ a: 1 })).toBe(countTokens('{"a":1}'));
  });
});
