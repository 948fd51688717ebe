import { describe, expect, it } from '@jest/globals';
import { IntrospectionCache, type TokenVerdict } from './introspection-cache.js';

const active = (userId: string): TokenVerdict => ({
  active: true,
  principal: { userId, teamId: 't', teamPermissions: [], scopes: ['mcp:read'] },
});

describe('IntrospectionCache', () => {
  it('returns a verdict until it expires', () => {
    const cache = new IntrospectionCache();
    cache.set('k', active('u'), 1000);
    expect(cache.get('k', 999)).toEqual(active('u'));
    expect(cache.get('k', 1000)).toBeUndefined();
    expect(cache.size()).toBe(0);
  });

  it("drops one user's entries and nobody else's", () => {
    const cache = new IntrospectionCache();
    cache.set('a1', active('a'), 10_000);
    cache.set('a2', active('a'), 10_000);
    cache.set('b1', active('b'), 10_000);
    cache.set('neg', { active: false, reason: 'unknown' }, 10_000);
    expect(cache.invalidateUser('a')).toBe(2);
    expect(cache.invalidateUser('a')).toBe(0);
    expect([cache.get('a1', 0), cache.get('b1', 0)?.active, cache.get('neg', 0)?.active]).toEqual([
      undefined,
      true,
      false,
    ]);
  });

  it('re-keys a token whose verdict changed owner', () => {
    const cache = new IntrospectionCache();
    cache.set('k', active('a'), 10_000);
    cache.set('k', active('b'), 10_000);
    expect(cache.invalidateUser('a')).toBe(0);
    expect(cache.invalidateUser('b')).toBe(1);
  });

  it('sweeps expired entries and stays within its bound (oldest first)', () => {
    const cache = new IntrospectionCache(3);
    cache.set('old', active('u'), 100);
    cache.set('new', active('u'), 1000);
    expect(cache.sweep(500)).toBe(1);
    for (const k of ['k1', 'k2', 'k3']) cache.set(k, active('v'), 1000);
    expect(cache.size()).toBe(3);
    expect(cache.get('new', 0)).toBeUndefined();
    expect(cache.get('k3', 0)).toBeDefined();
  });
});
