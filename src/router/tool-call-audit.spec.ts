import { describe, expect, it } from '@jest/globals';
import { REDACTED, redactArguments } from './tool-call-audit.js';

describe('redactArguments', () => {
  it('hides values under secret-looking names and credential-looking values, keeps the rest', () => {
    expect(
      redactArguments({
        query: 'weather in Paris',
        apiKey: 'abc',
        nested: { Password: 'p', headers: { Authorization: 'x' }, list: ['Bearer abc.def', 'ok'] },
        jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln',
        note: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl',
        count: 3,
      }),
    ).toEqual({
      query: 'weather in Paris',
      apiKey: REDACTED,
      nested: { Password: REDACTED, headers: { Authorization: REDACTED }, list: [REDACTED, 'ok'] },
      jwt: REDACTED,
      note: REDACTED,
      count: 3,
    });
  });

  it('bounds long strings, deep nesting and wide structures', () => {
    const out = redactArguments({
      long: 'x'.repeat(2000),
      deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } },
      wide: Array.from({ length: 200 }, (_, i) => i),
    }) as { long: string; deep: unknown; wide: number[] };
    expect(out.long).toHaveLength(501);
    expect(JSON.stringify(out.deep)).toContain('[…]');
    expect(out.wide).toHaveLength(50);
  });
});
