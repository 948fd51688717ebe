import { describe, expect, it } from '@jest/globals';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { RESUMABLE_EVENTS_MAX, SessionEventStore } from './session-event-store.js';

const note = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 't', progress: n },
});

function replay(store: SessionEventStore, after: string) {
  return {
    stream: store.streamOf(after),
    got: store.after(after).map((e): [string, JSONRPCMessage] => [e.id, e.message]),
  };
}

describe('SessionEventStore', () => {
  it('replays only the later events of the same stream', () => {
    const store = new SessionEventStore();
    const first = store.append('a', note(1));
    store.append('b', note(2));
    const third = store.append('a', note(3));
    const { stream, got } = replay(store, first);
    expect(stream).toBe('a');
    expect(got).toEqual([[third, note(3)]]);
    expect(store.streamOf(third)).toBe('a');
  });

  it('keeps a bounded number of events, dropping the oldest', () => {
    const store = new SessionEventStore();
    const first = store.append('a', note(0));
    for (let i = 1; i <= RESUMABLE_EVENTS_MAX + 10; i++) store.append('a', note(i));
    const { got } = replay(store, first);
    expect(got).toHaveLength(RESUMABLE_EVENTS_MAX);
    expect(got[0][1]).toEqual(note(11));
  });

  it('tells a stream that carried its response (result or error) from one still open', () => {
    const store = new SessionEventStore();
    const priming = store.append('a', {} as JSONRPCMessage);
    const progress = store.append('a', note(1));
    expect(store.settledAfter(priming)).toBeUndefined();
    const error: JSONRPCMessage = {
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32602, message: 'Invalid params' },
    };
    const answer = store.append('a', error);
    expect(store.settledAfter(priming)).toEqual([
      { id: progress, message: note(1) },
      { id: answer, message: error },
    ]);
    expect(store.settledAfter(answer)).toEqual([]);
    expect(store.settledAfter('garbage')).toBeUndefined();
  });

  it('knows no stream and no events for an event id it never issued', () => {
    const store = new SessionEventStore();
    store.append('a', note(1));
    expect(store.streamOf('garbage')).toBeUndefined();
    expect(store.after('garbage')).toEqual([]);
  });
});
