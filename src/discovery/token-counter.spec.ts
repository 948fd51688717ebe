import { describe, expect, it } from '@jest/globals';
import {
  countJsonTokens,
  countJsonTokensOfEach,
  countTokens,
  TOKEN_COUNTER_IDLE_MS,
  tokenCounterRunning,
} from './token-counter.js';

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

  it('counts a batch in one go, each value as countJsonTokens does', () => {
    const values = [{ a: 1 }, 'hello world', { name: 'echo', description: 'Echoes <|endoftext|>' }];
    expect(countJsonTokensOfEach(values)).toEqual(values.map((v) => countJsonTokens(v)));
    expect(countJsonTokensOfEach([])).toEqual([]);
  });

  it('keeps no counting thread once idle, and starts a new one for the next count', async () => {
    expect(countTokens('hello world')).toBe(2);
    expect(tokenCounterRunning()).toBe(true);
    const deadline = Date.now() + TOKEN_COUNTER_IDLE_MS + 30_000;
    while (tokenCounterRunning() && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(tokenCounterRunning()).toBe(false);
    expect(countTokens('hello world')).toBe(2);
    expect(tokenCounterRunning()).toBe(true);
  }, 60_000);
});
