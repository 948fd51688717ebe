import { ChildProcess } from 'node:child_process';
import { describe, expect, it, jest } from '@jest/globals';
import {
  countJsonTokens,
  countJsonTokensOfEach,
  countTokens,
  prefetchJsonTokens,
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

  it('counts a listing larger than a pipe buffer in one counting process', () => {
    const tools = Array.from({ length: 2000 }, (_, i) => ({
      name: `tool_${i}`,
      description: `Tool number ${i}: ${'does a thing with a value. '.repeat(i % 7)}`,
      inputSchema: { type: 'object', properties: { [`arg${i}`]: { type: 'string' } } },
    }));
    const counts = countJsonTokensOfEach(tools);
    expect(counts).toHaveLength(2000);
    // Spot checks against single counts: each answer belongs to its own text, in order.
    for (const i of [0, 1, 6, 999, 1999]) expect(counts[i]).toBe(countJsonTokens(tools[i]));
    expect(new Set(counts).size).toBeGreaterThan(1);
  }, 120_000);

  it('counts ahead without blocking, and the synchronous count then uses what it found', async () => {
    const tools = [
      { name: 'echo', description: 'Echoes a message' },
      { name: 'add', description: 'Adds two numbers <|endoftext|>' },
    ];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      await prefetchJsonTokens(tools);
    } finally {
      clearInterval(timer);
    }
    // The event loop ran while the counting process worked (a node start and the ranks' load).
    expect(ticks).toBeGreaterThan(0);
    const fresh = tools.map((t) => ({ ...t }));
    expect(countJsonTokensOfEach(tools)).toEqual(countJsonTokensOfEach(fresh));
    // A mix of counted and new values keeps its order.
    const mixed = [fresh[1], tools[0], 'plain text'];
    expect(countJsonTokensOfEach(mixed)).toEqual(mixed.map((v) => countJsonTokens(v)));
    await expect(prefetchJsonTokens([])).resolves.toBeUndefined();
  }, 120_000);

  it('counts for many servers at once in at most two processes, each listing exactly', async () => {
    // Ten servers' listings asked for together, as a booting satellite does: the first starts a
    // process, the nine others wait and go into the next one together.
    const listings = Array.from({ length: 10 }, (_, s) => [
      { name: `read_${s}`, description: `Reads item ${s} of server ${s}` },
      { name: `write_${s}`, description: `Writes item ${s}`.repeat(s + 1) },
    ]);
    // Every child process starts through ChildProcess.prototype.spawn (Node's, untyped): watched
    // on its way through, it still spawns.
    const proto = ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown };
    const spawn = jest.spyOn(proto, 'spawn');
    let processes: number;
    try {
      await Promise.all(listings.map((tools) => prefetchJsonTokens(tools)));
    } finally {
      processes = spawn.mock.calls.length;
      spawn.mockRestore();
    }
    expect(processes).toBeGreaterThanOrEqual(1);
    expect(processes).toBeLessThanOrEqual(2);
    for (const tools of listings)
      expect(countJsonTokensOfEach(tools)).toEqual(tools.map((t) => countJsonTokens({ ...t })));
  }, 120_000);
});
