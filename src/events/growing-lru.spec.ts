import { describe, expect, it } from '@jest/globals';
import { growingLru } from './growing-lru.js';

describe('growingLru', () => {
  it('holds at most its number of entries, dropping the least recently used', () => {
    const cache = growingLru<string, number>(3);
    for (const [i, key] of ['a', 'b', 'c'].entries()) cache.set(key, i);
    cache.get('a'); // used: 'b' is now the least recent
    cache.set('d', 3);
    expect(cache.size).toBe(3);
    expect([...cache.keys()].sort()).toEqual(['a', 'c', 'd']);
  });

  it('passes its other options on (a time to live)', () => {
    let now = 5000;
    const cache = growingLru<string, true>(10, { ttl: 1000, perf: { now: () => now } });
    cache.set('x', true);
    now = 6001;
    expect(cache.has('x')).toBe(false);
  });
});
