import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { LatencyHistogram } from './latency-histogram.js';
import { type UsageRow, UsageStore } from './usage.store.js';

const path = () => join(mkdtempSync(join(tmpdir(), 'usage-')), 'sub', 'usage.sqlite');

function row(over: Partial<UsageRow> & { ms?: number[] }): UsageRow {
  const latency = new LatencyHistogram();
  for (const ms of over.ms ?? [10]) latency.record(ms);
  return {
    hour: 100,
    server: 'everything',
    team: 'default',
    tool: 'everything-echo',
    client: 'e2e',
    calls: 1,
    errors: 0,
    bytes: 40,
    tokens: 10,
    ...over,
    latency,
  };
}

describe('UsageStore', () => {
  it('adds deltas to the same row across batches and reopenings, histograms merged', () => {
    const file = path();
    let store = UsageStore.open({ path: file });
    store.add(
      [row({ calls: 2, errors: 1, ms: [10, 20] })],
      [{ hour: 100, sessions: 1, tokens: 500 }],
    );
    store.close();
    store = UsageStore.open({ path: file });
    store.add(
      [row({ calls: 1, bytes: 60, tokens: 15, ms: [30] })],
      [{ hour: 100, sessions: 2, tokens: -40 }],
    );
    const [r] = store.usage({ sinceHour: 0 });
    expect({ ...r, latency: r.latency.count }).toEqual({
      hour: 100,
      server: 'everything',
      team: 'default',
      tool: 'everything-echo',
      client: 'e2e',
      calls: 3,
      errors: 1,
      bytes: 100,
      tokens: 25,
      latency: 3,
    });
    expect(r.latency.quantile(1)).toBe(30);
    expect(store.saved(0)).toEqual([{ hour: 100, sessions: 3, tokens: 460 }]);
    store.close();
  });

  it('filters by hour, server, team and a set of teams', () => {
    const store = UsageStore.open({ path: path() });
    store.add(
      [
        row({ hour: 99 }),
        row({ hour: 100, server: 'memory', tool: 'memory-read_graph', team: 'a' }),
        row({ hour: 101, team: 'b' }),
      ],
      [],
    );
    const keys = (q: Parameters<UsageStore['usage']>[0]) =>
      store
        .usage(q)
        .map((r) => `${r.hour}/${r.server}/${r.team}`)
        .sort();
    expect(keys({ sinceHour: 100 })).toEqual(['100/memory/a', '101/everything/b']);
    expect(keys({ sinceHour: 0, server: 'everything' })).toEqual([
      '101/everything/b',
      '99/everything/default',
    ]);
    expect(keys({ sinceHour: 0, team: 'a' })).toEqual(['100/memory/a']);
    expect(keys({ sinceHour: 0, teams: ['a', 'default'] })).toEqual([
      '100/memory/a',
      '99/everything/default',
    ]);
    expect(keys({ sinceHour: 0, teams: [] })).toEqual([]);
    store.close();
  });

  it('writes a batch all or nothing, prunes old hours and lists clients by calls', () => {
    const store = UsageStore.open({ path: path() });
    store.add([row({ client: 'a', calls: 1 }), row({ client: 'b', calls: 5 })], []);
    const bad = row({ client: 'c' });
    (bad as unknown as { calls: unknown }).calls = undefined; // NOT NULL: the batch rolls back
    expect(() => store.add([row({ client: 'd' }), bad], [])).toThrow();
    expect(store.clients(10)).toEqual(['b', 'a']);
    store.add([row({ hour: 50, client: 'old' })], [{ hour: 50, sessions: 1, tokens: 1 }]);
    expect(store.prune(60)).toBe(2);
    expect(
      store
        .usage({ sinceHour: 0 })
        .map((r) => r.client)
        .sort(),
    ).toEqual(['a', 'b']);
    store.close();
    expect(() => store.usage({ sinceHour: 0 })).toThrow('the usage store is closed');
  });
});
