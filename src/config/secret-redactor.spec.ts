import { describe, expect, it } from '@jest/globals';
import { SecretRedactor } from './secret-redactor.js';

describe('SecretRedactor', () => {
  it('masks configured secret values anywhere in a log record', () => {
    const r = new SecretRedactor();
    r.set('servers', ['ghp_secret123', 'Bearer tok-xyz', 'ab']);
    expect(
      r.redact({ msg: 'spawn with ghp_secret123', nested: { h: ['Bearer tok-xyz'] }, n: 3 }),
    ).toEqual({
      msg: 'spawn with [REDACTED]',
      nested: { h: ['[REDACTED]'] },
      n: 3,
    });
    // Values shorter than 4 characters are not treated as secrets (they would mask ordinary text).
    expect(r.redact('ab cd')).toBe('ab cd');
  });

  it('replaces the secrets of one source without touching another', () => {
    const r = new SecretRedactor();
    r.set('a', ['alpha-secret']);
    r.set('b', ['beta-secret']);
    r.set('a', []);
    expect(r.redact('alpha-secret beta-secret')).toBe('alpha-secret [REDACTED]');
  });
});
