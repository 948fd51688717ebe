import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

interface StoredEvent {
  readonly seq: number;
  readonly streamId: string;
  readonly message: JSONRPCMessage;
  readonly bytes: number;
}

/** Events one session keeps for resumption, at most (oldest dropped first). */
export const RESUMABLE_EVENTS_MAX = 200;
/**
 * Bytes of JSON one session keeps for resumption, at most: with the default cap of 1,000 sessions
 * the stores hold at most about 256 MB, and usually far less (most sessions are quiet).
 */
export const RESUMABLE_BYTES_MAX = 256 * 1024;

/**
 * The recent server-to-client messages of one session, so a client whose SSE stream dropped can
 * reconnect with `Last-Event-ID` and get what it missed (MCP 2025-11-25 "Resumability and
 * Redelivery"); the transport primes each SSE stream with an event id because of it. Bounded
 * per session by count and bytes: a client that stays away too long gets only the newest events.
 * Event ids are `<seq>:<streamId>`, so a replay stays on the stream it was asked for.
 */
export class SessionEventStore {
  private readonly events: StoredEvent[] = [];
  private seq = 0;
  private bytes = 0;

  /** Stores one event (`json`: the message serialized, when the caller has it) and returns its id. */
  append(streamId: string, message: JSONRPCMessage, json = JSON.stringify(message)): string {
    const seq = ++this.seq;
    const bytes = json.length;
    this.events.push({ seq, streamId, message, bytes });
    this.bytes += bytes;
    while (
      this.events.length > RESUMABLE_EVENTS_MAX ||
      (this.bytes > RESUMABLE_BYTES_MAX && this.events.length > 1)
    ) {
      this.bytes -= this.events.shift()!.bytes;
    }
    return `${seq}:${streamId}`;
  }

  /** The stream an event id belongs to (undefined for an id this store could not have issued). */
  streamOf(eventId: string): string | undefined {
    return parse(eventId)?.streamId;
  }

  /** The stored events after `lastEventId` on its stream, oldest first (none for a foreign id). */
  after(lastEventId: string): Array<{ id: string; message: JSONRPCMessage }> {
    const last = parse(lastEventId);
    if (!last) return [];
    return this.events
      .filter((e) => e.streamId === last.streamId && e.seq > last.seq)
      .map((e) => ({ id: `${e.seq}:${e.streamId}`, message: e.message }));
  }

  /**
   * A stream that already carried its request's response (result or error) will carry nothing
   * more: the events after `lastEventId` on it (maybe none), or undefined when the stream is still
   * open, unknown or forgotten (the transport resumes those). Clients of the SDK's 1.x line
   * reconnect after an error response as if it had not come (typescript-sdk PR #2638); answering
   * those from here keeps the transport from holding a stream open for each of them.
   */
  settledAfter(lastEventId: string): Array<{ id: string; message: JSONRPCMessage }> | undefined {
    const last = parse(lastEventId);
    if (!last) return undefined;
    const onStream = this.events.filter((e) => e.streamId === last.streamId);
    if (!onStream.some((e) => isResponse(e.message))) return undefined;
    return onStream
      .filter((e) => e.seq > last.seq && Object.keys(e.message).length > 0)
      .map((e) => ({ id: `${e.seq}:${e.streamId}`, message: e.message }));
  }
}

function isResponse(message: JSONRPCMessage): boolean {
  return 'id' in message && ('result' in message || 'error' in message);
}

function parse(eventId: string): { seq: number; streamId: string } | undefined {
  const colon = eventId.indexOf(':');
  if (colon <= 0) return undefined;
  const seq = Number(eventId.slice(0, colon));
  if (!Number.isSafeInteger(seq)) return undefined;
  return { seq, streamId: eventId.slice(colon + 1) };
}
