import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
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

  it('keeps the latest traced call of a row as its exemplar', () => {
    const store = UsageStore.open({ path: path() });
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    store.add([row({ traceparent: tp })], []);
    // A later batch of the same row without a traced call keeps the exemplar.
    store.add([row({})], []);
    expect(store.usage({ sinceHour: 0 })[0]).toMatchObject({ calls: 2, traceparent: tp });
    store.close();
  });

  it('migrates a usage.sqlite written before the traceparent column, keeping its rows', () => {
    const file = path();
    mkdirSync(dirname(file), { recursive: true });
    const old = new DatabaseSync(file);
    old.exec(`
      CREATE TABLE tool_usage (
        hour INTEGER NOT NULL, server TEXT NOT NULL, team TEXT NOT NULL, tool TEXT NOT NULL,
        client TEXT NOT NULL, calls INTEGER NOT NULL, errors INTEGER NOT NULL,
        bytes INTEGER NOT NULL, tokens INTEGER NOT NULL, latency TEXT NOT NULL,
        PRIMARY KEY (hour, server, team, tool, client)
      );
      INSERT INTO tool_usage VALUES (100, 'everything', 'default', 'everything-echo', 'e2e', 3, 0, 10, 3, '{"b":[[40,3]],"min":10,"max":10}');
    `);
    old.close();
    const store = UsageStore.open({ path: file });
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    store.add([row({ traceparent: tp })], []);
    expect(store.usage({ sinceHour: 0 })).toEqual([
      expect.objectContaining({ calls: 4, traceparent: tp }),
    ]);
    store.close();
  });
});
