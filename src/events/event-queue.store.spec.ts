import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { SatelliteEvent } from './event-map.js';
import { EventQueueStore } from './event-queue.store.js';

const event = (n: number): SatelliteEvent => ({
  type: 'config.refreshed',
  timestamp: new Date(n).toISOString(),
  data: { source: `s${n}`, added: n, removed: 0, modified: 0, unchanged: 0 },
});
const path = () => join(mkdtempSync(join(tmpdir(), 'evq-')), 'sub', 'q.sqlite');

describe('EventQueueStore', () => {
  it('keeps events in order with their payloads, and removes by seq', () => {
    const store = EventQueueStore.open({ path: path(), capacity: 100 });
    for (let i = 0; i < 5; i++) store.append(event(i));
    const head = store.peek(3);
    expect(head.map((q) => q.event)).toEqual([event(0), event(1), event(2)]);
    store.remove([head[0].seq, head[2].seq, 9999]);
    expect(store.size()).toBe(3);
    expect(store.peek(10).map((q) => q.event.data)).toEqual([
      event(1).data,
      event(3).data,
      event(4).data,
    ]);
    store.close();
  });

  it('survives a reopen: queue and overflow count persist', () => {
    const file = path();
    const first = EventQueueStore.open({ path: file, capacity: 3 });
    for (let i = 0; i < 5; i++) first.append(event(i));
    first.close();
    const second = EventQueueStore.open({ path: file, capacity: 3 });
    expect(second.size()).toBe(3);
    expect(second.overflowDropped()).toBe(2);
    expect(second.peek(10).map((q) => q.event)).toEqual([event(2), event(3), event(4)]);
    second.close();
  });

  it('drops the oldest beyond capacity and says how many', () => {
    const store = EventQueueStore.open({ path: path(), capacity: 2 });
    expect([store.append(event(1)), store.append(event(2)), store.append(event(3))]).toEqual([
      0, 0, 1,
    ]);
    expect(store.peek(5).map((q) => q.event)).toEqual([event(2), event(3)]);
    store.close();
  });

  it('refuses use after close', () => {
    const store = EventQueueStore.open({ path: path(), capacity: 2 });
    store.close();
    store.close();
    expect(store.isOpen()).toBe(false);
    expect(() => store.append(event(1))).toThrow(/closed/);
  });
});
