import { describe, expect, it } from '@jest/globals';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import { InvalidArgumentsError } from './rest.errors.js';
import { ToolArgumentsValidator } from './tool-arguments.validator.js';

const entryOf = (inputSchema: object): CatalogEntry =>
  ({
    path: 'srv-tool',
    serverId: 'srv',
    serverSlug: 'srv',
    team: 'default',
    transport: 'stdio',
    tool: { name: 'tool', inputSchema },
    tokenCount: 1,
  }) as unknown as CatalogEntry;

const errorsOf = (v: ToolArgumentsValidator, e: CatalogEntry, args: Record<string, unknown>) => {
  try {
    v.validate(e, args);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentsError);
    return (err as InvalidArgumentsError).errors;
  }
};

describe('ToolArgumentsValidator', () => {
  it('compiles a definition once and again only when the catalog gives a new one', () => {
    const v = new ToolArgumentsValidator();
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const first = v.validatorOf(entryOf(schema));
    expect(v.validatorOf(entryOf(schema))).toBe(first);
    expect(v.validatorOf(entryOf({ ...schema }))).not.toBe(first);
  });

  it('reports every error with a pointer to the property concerned', () => {
    const v = new ToolArgumentsValidator();
    const e = entryOf({
      type: 'object',
      properties: { a: { type: 'string' }, n: { type: 'integer', maximum: 3 } },
      required: ['a'],
      additionalProperties: false,
    });
    expect(errorsOf(v, e, { a: 'x', n: 2 })).toEqual([]);
    expect(errorsOf(v, e, { n: 4, 'x/y': 1 }).map((x) => [x.pointer, x.keyword])).toEqual(
      expect.arrayContaining([
        ['/a', 'required'],
        ['/n', 'maximum'],
        ['/x~1y', 'additionalProperties'],
      ]),
    );
  });

  it('follows the dialect of $schema: 2020-12 by default, draft-07 when declared', () => {
    const v = new ToolArgumentsValidator();
    // prefixItems exists in 2020-12 only
    const modern = entryOf({
      type: 'object',
      properties: {
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
      },
    });
    expect(errorsOf(v, modern, { pair: [1, 'x'] }).length).toBeGreaterThan(0);
    // draft-07's array form of items, and definitions
    const draft7 = entryOf({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        pair: { type: 'array', items: [{ type: 'string' }] },
        d: { $ref: '#/definitions/d' },
      },
      definitions: { d: { type: 'string', format: 'email' } },
    });
    expect(errorsOf(v, draft7, { pair: ['x'], d: 'a@b.example' })).toEqual([]);
    expect(errorsOf(v, draft7, { pair: [1], d: 'not an email' }).map((x) => x.pointer)).toEqual(
      expect.arrayContaining(['/pair/0', '/d']),
    );
  });

  it('lets calls through when an upstream schema does not compile, and tolerates shared $ids', () => {
    const v = new ToolArgumentsValidator();
    const broken = entryOf({ type: 'object', properties: { a: { $ref: '#/nowhere' } } });
    expect(() => v.validate(broken, { a: 1 })).not.toThrow();
    const a = entryOf({ $id: 'urn:same', type: 'object', required: ['a'] });
    const b = entryOf({ $id: 'urn:same', type: 'object', required: ['b'] });
    expect(errorsOf(v, a, {}).map((x) => x.pointer)).toEqual(['/a']);
    expect(errorsOf(v, b, {}).map((x) => x.pointer)).toEqual(['/b']);
  });
});
