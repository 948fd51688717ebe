import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { maybe, parseOrProblems, skipInvalid, strictSchema } from './zod-schema.js';

const item = z.object({ name: z.string(), level: z.enum(['a', 'b']).catch('a') });
const lenient = z.object({
  list: z.array(item).min(1),
  byKey: z.record(z.string(), item).optional(),
  either: z.union([z.literal('none'), z.object({ allow: z.array(z.string()) })]).optional(),
  piped: z.object({ n: z.number() }).transform((o) => o.n * 2),
  label: maybe(z.string().min(1)),
  skipping: skipInvalid(item).optional(),
});

const doc = {
  list: [{ name: 'x', level: 'zz', extra: 1 }],
  byKey: { k: { name: 'y', level: 'b', more: true } },
  either: { allow: ['h'], other: 1 },
  piped: { n: 2, junk: 0 },
  label: 7,
  skipping: [{ name: 'ok', level: 'a' }, { nope: true }],
  top: 'unknown',
};

describe('one schema, read leniently and checked strictly', () => {
  it('leniently drops unknown fields, recovers with .catch() and skips bad items', () => {
    expect(lenient.parse(doc)).toEqual({
      list: [{ name: 'x', level: 'a' }],
      byKey: { k: { name: 'y', level: 'b' } },
      either: { allow: ['h'] },
      piped: 4,
      skipping: [{ name: 'ok', level: 'a' }],
    });
  });

  it('strictly refuses every unknown field and every value the lenient form recovers from', () => {
    const parsed = parseOrProblems(strictSchema(lenient), doc, 'body', 'colon');
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.problems.sort()).toEqual(
      [
        'body.list[0].level: must be one of "a"|"b"',
        'body.list[0].extra: unknown field',
        'body.byKey.k.more: unknown field',
        'body.either.other: unknown field',
        'body.piped.junk: unknown field',
        'body.label: must be a string',
        'body.skipping[1].name: missing',
        'body.skipping[1].level: missing',
        'body.skipping[1].nope: unknown field',
        'body.top: unknown field',
      ].sort(),
    );
  });

  it('keeps checks and transforms, and leaves the lenient schema as it was', () => {
    const strict = strictSchema(lenient);
    const good = { list: [{ name: 'x', level: 'b' }], piped: { n: 3 } };
    expect(strict.parse(good)).toEqual({ list: [{ name: 'x', level: 'b' }], piped: 6 });
    expect(strict.safeParse({ ...good, list: [] }).success).toBe(false);
    expect(lenient.safeParse(doc).success).toBe(true);
  });

  it('refuses to walk a zod type it does not know, rather than leave it lenient', () => {
    expect(() => strictSchema(z.tuple([z.object({ a: z.string() })]))).toThrow(
      'strictSchema: zod type "tuple" is not supported',
    );
  });
});

describe('problem messages', () => {
  const schema = z.object({
    port: z.int().min(1),
    mode: z.enum(['x', 'y']),
    when: z.iso.datetime(),
    env: z.record(z.string(), z.string()),
  });

  it('name the path and what was expected, never the value', () => {
    const parsed = parseOrProblems(
      schema,
      { port: 0, mode: 'z', when: 'yesterday', env: { TOKEN: 42 } },
      'cfg',
    );
    expect(parsed.ok ? [] : parsed.problems).toEqual([
      'cfg.port must be >= 1',
      'cfg.mode must be one of "x"|"y"',
      'cfg.when must be an ISO 8601 time',
      'cfg.env.TOKEN must be a string',
    ]);
    const missing = parseOrProblems(schema, {}, 'cfg', 'colon');
    expect(missing.ok ? [] : missing.problems).toContain('cfg.port: missing');
  });
});
