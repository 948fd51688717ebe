import { describe, expect, it } from '@jest/globals';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { diffAgainstPins, pinOf, toolHash, toolSetHash } from './tool-pinning.js';

const tool = (name: string, description: string, extra: Partial<Tool> = {}): Tool => ({
  name,
  description,
  inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
  ...extra,
});
const pins = (...tools: Tool[]) => new Map(tools.map((t) => [t.name, pinOf(t)]));

describe('tool pinning', () => {
  it('hashes what an agent reads and sends, independent of key order', () => {
    const a = tool('search', 'Finds things');
    const reordered: Tool = {
      inputSchema: { properties: { q: { type: 'string' } }, type: 'object' },
      description: 'Finds things',
      name: 'search',
    };
    expect(toolHash(reordered)).toBe(toolHash(a));
    expect(toolHash(tool('search', 'Finds things.'))).not.toBe(toolHash(a));
    expect(toolHash({ ...a, annotations: { destructiveHint: true } })).not.toBe(toolHash(a));
    expect(toolHash({ ...a, outputSchema: { type: 'object' } })).not.toBe(toolHash(a));
    // Not pinned: what does not change what the tool does (e.g. _meta).
    expect(toolHash({ ...a, _meta: { x: 1 } })).toBe(toolHash(a));
  });

  it('hashes a tool set independently of listing order', () => {
    const a = new Map([
      ['a', '1'],
      ['b', '2'],
    ]);
    const b = new Map([
      ['b', '2'],
      ['a', '1'],
    ]);
    expect(toolSetHash(a)).toBe(toolSetHash(b));
    expect(toolSetHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(toolSetHash(new Map([['a', '1']]))).not.toBe(toolSetHash(a));
  });

  it('reports changed (with the fields), added and removed tools', () => {
    const pinned = pins(tool('keep', 'same'), tool('edit', 'old'), tool('gone', 'bye'));
    const changes = diffAgainstPins({
      pins: pinned,
      tools: [tool('keep', 'same'), tool('edit', 'new'), tool('fresh', 'hi')],
      previous: [],
      now: '2026-01-01T00:00:00.000Z',
    });
    expect(changes).toEqual([
      {
        tool: 'edit',
        kind: 'changed',
        pinned_hash: pinned.get('edit')!.hash,
        current_hash: toolHash(tool('edit', 'new')),
        fields: ['description'],
        since: '2026-01-01T00:00:00.000Z',
      },
      {
        tool: 'fresh',
        kind: 'added',
        current_hash: toolHash(tool('fresh', 'hi')),
        since: '2026-01-01T00:00:00.000Z',
      },
      {
        tool: 'gone',
        kind: 'removed',
        pinned_hash: pinned.get('gone')!.hash,
        since: '2026-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('keeps `since` while the same difference persists, and restarts it when it moves on', () => {
    const pinned = pins(tool('edit', 'old'));
    const first = diffAgainstPins({
      pins: pinned,
      tools: [tool('edit', 'new')],
      previous: [],
      now: 't1',
    });
    const same = diffAgainstPins({
      pins: pinned,
      tools: [tool('edit', 'new')],
      previous: first,
      now: 't2',
    });
    expect(same[0].since).toBe('t1');
    const again = diffAgainstPins({
      pins: pinned,
      tools: [tool('edit', 'newer')],
      previous: same,
      now: 't3',
    });
    expect(again[0].since).toBe('t3');
    expect(
      diffAgainstPins({ pins: pinned, tools: [tool('edit', 'old')], previous: again, now: 't4' }),
    ).toEqual([]);
  });
});
