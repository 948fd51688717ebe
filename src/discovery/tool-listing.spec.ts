import { describe, expect, it } from '@jest/globals';
import { parseToolsPage } from './tool-listing.js';

const schema = { type: 'object', properties: {} };

describe('parseToolsPage (lenient tools/list)', () => {
  it('drops nulls where the SDK schema wants an optional value, and keeps the tool', () => {
    const page = parseToolsPage({
      tools: [
        {
          name: 'a',
          title: null,
          description: null,
          inputSchema: { type: 'object', required: null },
          outputSchema: null,
          annotations: { title: null, readOnlyHint: true },
          execution: null,
          _meta: null,
        },
        { name: 'b', inputSchema: schema, annotations: null },
      ],
    });
    expect(page.skipped).toEqual([]);
    expect(page.tools).toEqual([
      { name: 'a', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
      { name: 'b', inputSchema: schema },
    ]);
    expect(page.nextCursor).toBeUndefined();
  });

  it('leaves nulls the schema allows alone (JSON Schema inside inputSchema)', () => {
    const inputSchema = {
      type: 'object',
      properties: { note: { type: ['string', 'null'], default: null } },
    };
    const page = parseToolsPage({ tools: [{ name: 'a', inputSchema }] });
    expect(page.tools[0]?.inputSchema).toEqual(inputSchema);
  });

  it('skips and reports a tool that stays invalid, keeping the others', () => {
    const page = parseToolsPage(
      {
        tools: [
          { name: 'ok', inputSchema: schema },
          { description: 'no name', inputSchema: schema },
          { name: 'bad', inputSchema: 'string' },
          { name: null, inputSchema: schema },
          null,
        ],
      },
      10,
    );
    expect(page.tools.map((t) => t.name)).toEqual(['ok']);
    expect(page.count).toBe(5);
    expect(page.skipped).toEqual([
      { index: 11, reason: expect.stringContaining('name') },
      { index: 12, name: 'bad', reason: expect.stringContaining('inputSchema') },
      { index: 13, reason: expect.stringContaining('name') },
      { index: 14, reason: expect.stringContaining('(root)') },
    ]);
  });

  it('reads nextCursor, and a null one as the last page', () => {
    expect(parseToolsPage({ tools: [], nextCursor: 'p2' }).nextCursor).toBe('p2');
    expect(parseToolsPage({ tools: [], nextCursor: null, _meta: null }).nextCursor).toBeUndefined();
  });

  it('still fails a page whose envelope is broken', () => {
    expect(() => parseToolsPage(null)).toThrow(/not an object/);
    expect(() => parseToolsPage({})).toThrow(/no "tools" array/);
    expect(() => parseToolsPage({ tools: null })).toThrow(/no "tools" array/);
    expect(() => parseToolsPage({ tools: [], nextCursor: 42 })).toThrow(/nextCursor/);
  });
});
