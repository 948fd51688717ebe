import { describe, expect, it } from '@jest/globals';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { RESUMABLE_EVENTS_MAX, SessionEventStore } from './session-event-store.js';

const note = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 't', progress: n },
});

async function replay(store: SessionEventStore, after: string) {
  const got: [string, JSONRPCMessage][] = [];
  const stream = await store.replayEventsAfter(after, {
    send: (id, message) => {
      got.push([id, message]);
      return Promise.resolve();
    },
  });
  return { stream, got };
}

describe('SessionEventStore', () => {
  it('replays only the later events of the same stream', async () => {
    const store = new SessionEventStore();
    const first = await store.storeEvent('a', note(1));
    await store.storeEvent('b', note(2));
    const third = await store.storeEvent('a', note(3));
    const { stream, got } = await replay(store, first);
    expect(stream).toBe('a');
    expect(got).toEqual([[third, note(3)]]);
    expect(await store.getStreamIdForEventId(third)).toBe('a');
  });

  it('keeps a bounded number of events, dropping the oldest', async () => {
    const store = new SessionEventStore();
    const first = await store.storeEvent('a', note(0));
    for (let i = 1; i <= RESUMABLE_EVENTS_MAX + 10; i++) await store.storeEvent('a', note(i));
    const { got } = await replay(store, first);
    expect(got).toHaveLength(RESUMABLE_EVENTS_MAX);
    expect(got[0][1]).toEqual(note(11));
  });

  it('tells a stream that carried its response (result or error) from one still open', async () => {
    const store = new SessionEventStore();
    const priming = await store.storeEvent('a', {} as JSONRPCMessage);
    const progress = await store.storeEvent('a', note(1));
    expect(store.settledAfter(priming)).toBeUndefined();
    const error: JSONRPCMessage = {
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32602, message: 'Invalid params' },
    };
    const answer = await store.storeEvent('a', error);
    expect(store.settledAfter(priming)).toEqual([
      { id: progress, message: note(1) },
      { id: answer, message: error },
    ]);
    expect(store.settledAfter(answer)).toEqual([]);
    expect(store.settledAfter('garbage')).toBeUndefined();
  });

  it('refuses an event id it never issued', async () => {
    await expect(replay(new SessionEventStore(), 'garbage')).rejects.toThrow(/unknown event id/);
  });
});
