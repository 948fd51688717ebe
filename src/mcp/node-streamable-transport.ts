import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type {
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  DEFAULT_NEGOTIATED_PROTOCOL_VERSION,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type MessageExtraInfo,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import type { Clock, TimerHandle } from '../events/clock.js';
import { SESSION_NOT_FOUND, SERVER_ERROR, PARSE_ERROR } from './http-replies.js';
import { SessionEventStore } from './session-event-store.js';

const INVALID_REQUEST = -32600;
/** Messages one POST may carry, at most (the SDK transport's limit). */
const MAX_BATCH = 100;
/** The stream id of the session's standalone (GET) SSE stream. */
const STANDALONE = '_GET_stream';
/** Priming events and `closeSSEStream` exist from this protocol version on (SEP-1699). */
const RESUMABLE_SINCE = '2025-11-25';
/** A comment line on every open SSE stream this often, so proxies keep it (the SDK's interval). */
const KEEP_ALIVE_MS = 15_000;
const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export interface NodeStreamableTransportOptions {
  /** The id the session gets when its initialize request comes. */
  readonly sessionId: string;
  readonly clock: Clock;
  /** The SSE `retry` (ms) a client is told in each priming event. */
  readonly retryInterval: number;
  /** Runs before the initialize response is written, so the id is known when the client uses it. */
  readonly onsessioninitialized?: (sessionId: string) => void;
  /** Runs on DELETE, before the transport closes. */
  readonly onsessionclosed?: (sessionId: string) => void;
}

/**
 * Where one POST's responses go (or, for the standalone and resumed streams, a GET's events).
 * A POST starts undecided: its responses go out as one `application/json` body, unless something
 * related to it (a notification, a server→client request) has to go first, which switches it to
 * SSE for good: a priming event, then every message as an event with an id from the session's
 * event store, so a client whose stream drops resumes with `Last-Event-ID`.
 */
interface Stream {
  readonly id: string;
  /** The client's response; undefined once it went away (or for a message fed in-process). */
  res?: ServerResponse;
  /** Speaking SSE (an SSE response was started, or the stream has event ids to resume from). */
  sse: boolean;
  /** The requests of this POST, in order (none for a GET stream). */
  readonly requests: readonly RequestId[];
  readonly responses: Map<RequestId, JSONRPCMessage>;
  readonly protocolVersion: string;
  keepAlive?: TimerHandle;
  /** A session rebuilt in-process: where the responses go instead of an HTTP response. */
  readonly local?: (responses: JSONRPCMessage[]) => void;
}

/**
 * The server side of MCP Streamable HTTP (2025-11-25) on Node's own request and response: the
 * SDK's `Transport` interface, no web streams, no Request/Response objects, no promise per event.
 * A plain request/response call is answered as JSON; SSE only when a stream is needed (lazy
 * framing, docs/protocol.md "Streamable HTTP framing"). The session's event store is allocated
 * when its first SSE stream opens.
 */
export class NodeStreamableTransport implements Transport {
  sessionId?: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private started = false;
  private initialized = false;
  private closed = false;
  private store?: SessionEventStore;
  /** Open or pending streams by stream id. */
  private readonly streams = new Map<string, Stream>();
  /** The stream each unanswered request's response belongs on. */
  private readonly byRequest = new Map<RequestId, Stream>();

  constructor(private readonly options: NodeStreamableTransportOptions) {}

  /** What this session's SSE streams carried (undefined until one was opened). */
  get events(): SessionEventStore | undefined {
    return this.store;
  }

  start(): Promise<void> {
    if (this.started) throw new Error('Transport already started');
    this.started = true;
    return Promise.resolve();
  }

  /** Serves one HTTP request of the session; `body` is the parsed JSON of a POST. */
  async handleRequest(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (this.closed) return reply(res, 404, SESSION_NOT_FOUND, 'Session not found');
    if (req.method === 'POST') return this.post(req, res, body);
    if (req.method === 'GET') return this.get(req, res);
    if (req.method === 'DELETE') return this.delete(req, res);
    return reply(res, 405, SERVER_ERROR, 'Method not allowed.', { allow: 'GET, POST, DELETE' });
  }

  /**
   * Feeds one message in-process, as if a client had POSTed it (the session rebuild from a signed
   * id): resolves with the responses to it (none for a notification).
   */
  async dispatchLocal(message: JSONRPCMessage): Promise<JSONRPCMessage[]> {
    const messages = [message];
    if (isInitialize(message)) await this.initialize();
    if (!('method' in message) || !('id' in message)) {
      this.onmessage?.(message);
      return [];
    }
    return new Promise((resolve) => {
      this.stream(randomUUID(), messages, protocolVersionOf(message), undefined, resolve);
      this.onmessage?.(message, {});
    });
  }

  private async post(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return reply(
        res,
        406,
        SERVER_ERROR,
        'Not Acceptable: Client must accept both application/json and text/event-stream',
      );
    }
    if (Array.isArray(body) && body.length > MAX_BATCH) {
      return reply(
        res,
        400,
        INVALID_REQUEST,
        `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`,
      );
    }
    const messages = parseMessages(body);
    if (!messages) return reply(res, 400, PARSE_ERROR, 'Parse error: Invalid JSON-RPC message');
    const init = messages.find(isInitialize);
    if (init) {
      if (this.initialized) {
        return reply(res, 400, INVALID_REQUEST, 'Invalid Request: Server already initialized');
      }
      if (messages.length > 1) {
        return reply(
          res,
          400,
          INVALID_REQUEST,
          'Invalid Request: Only one initialization request is allowed',
        );
      }
      await this.initialize();
    } else if (!this.checkSession(req, res)) {
      return;
    }
    if (this.closed) return reply(res, 404, SESSION_NOT_FOUND, 'Session not found');

    const requestInfo = { headers: req.headers };
    if (!messages.some(isRequest)) {
      res.writeHead(202).end();
      for (const message of messages) this.onmessage?.(message, { requestInfo });
      return;
    }
    const version = init
      ? protocolVersionOf(init)
      : (headerOf(req, 'mcp-protocol-version') ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION);
    const stream = this.stream(randomUUID(), messages, version, res);
    res.once('close', () => this.detach(stream, res));
    const closable = version >= RESUMABLE_SINCE;
    for (const message of messages) {
      if (closable && isRequest(message)) {
        this.onmessage?.(message, {
          requestInfo,
          closeSSEStream: () => this.closeStream(stream),
          closeStandaloneSSEStream: () => this.closeStandalone(),
        });
      } else {
        this.onmessage?.(message, { requestInfo });
      }
    }
  }

  private get(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return reply(res, 406, SERVER_ERROR, 'Not Acceptable: Client must accept text/event-stream');
    }
    if (!this.checkSession(req, res)) return;
    const lastEventId = headerOf(req, 'last-event-id');
    if (lastEventId) return this.resume(lastEventId, res);
    if (this.streams.get(STANDALONE)?.res) {
      return reply(res, 409, SERVER_ERROR, 'Conflict: Only one SSE stream is allowed per session');
    }
    this.store ??= new SessionEventStore();
    const stream: Stream = {
      id: STANDALONE,
      sse: true,
      requests: [],
      responses: new Map(),
      protocolVersion: headerOf(req, 'mcp-protocol-version') ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION,
    };
    this.streams.set(STANDALONE, stream);
    this.attach(stream, res);
  }

  /** A client whose stream dropped: the events it missed, then the stream goes on where it was. */
  private resume(lastEventId: string, res: ServerResponse): void {
    const streamId = this.store?.streamOf(lastEventId);
    if (!this.store || streamId === undefined) {
      return reply(res, 400, SERVER_ERROR, 'Invalid event ID format');
    }
    let stream = this.streams.get(streamId);
    const stale = stream?.res;
    if (stream && stale) {
      // The client resumes a stream we still think open: its old connection is dead to it (a
      // half-open socket, or one whose close has not reached us yet). The new one takes over.
      this.detach(stream, stale);
      stale.end();
    }
    if (!stream) {
      // Nothing in flight on it (any more): it stays open for what the session sends later.
      stream = {
        id: streamId,
        sse: true,
        requests: [],
        responses: new Map(),
        protocolVersion: RESUMABLE_SINCE,
      };
      this.streams.set(streamId, stream);
    }
    this.attach(stream, res);
    for (const { id, message } of this.store.after(lastEventId)) writeEvent(res, message, id);
  }

  private delete(req: IncomingMessage, res: ServerResponse): void {
    if (!this.checkSession(req, res)) return;
    try {
      this.options.onsessionclosed?.(this.sessionId!);
      res.writeHead(200).end();
    } finally {
      void this.close();
    }
  }

  private async initialize(): Promise<void> {
    this.sessionId = this.options.sessionId;
    this.initialized = true;
    await Promise.resolve(this.options.onsessioninitialized?.(this.sessionId));
  }

  /** The session header and protocol version of a non-initialize request; answers when wrong. */
  private checkSession(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.initialized) {
      reply(res, 400, SERVER_ERROR, 'Bad Request: Server not initialized');
      return false;
    }
    const id = headerOf(req, 'mcp-session-id');
    if (!id) {
      reply(res, 400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required');
      return false;
    }
    if (id !== this.sessionId) {
      reply(res, 404, SESSION_NOT_FOUND, 'Session not found');
      return false;
    }
    const version = headerOf(req, 'mcp-protocol-version');
    if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      reply(
        res,
        400,
        SERVER_ERROR,
        `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      );
      return false;
    }
    return true;
  }

  private stream(
    id: string,
    messages: readonly JSONRPCMessage[],
    protocolVersion: string,
    res: ServerResponse | undefined,
    local?: (responses: JSONRPCMessage[]) => void,
  ): Stream {
    const requests: RequestId[] = [];
    for (const m of messages) if (isRequest(m)) requests.push(m.id);
    const stream: Stream = {
      id,
      res,
      sse: false,
      requests,
      responses: new Map(),
      protocolVersion,
      ...(local ? { local } : {}),
    };
    this.streams.set(id, stream);
    for (const requestId of requests) this.byRequest.set(requestId, stream);
    return stream;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- a throw must reject, as the SDK expects
  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const requestId = response ? message.id : options?.relatedRequestId;
    if (requestId === undefined) {
      if (response) {
        throw new Error(
          'Cannot send a response on a standalone SSE stream unless resuming a previous client request',
        );
      }
      const standalone = this.streams.get(STANDALONE);
      // Stored for a client that resumes its GET stream; nothing to store before it opened one.
      if (this.store) this.emit(standalone, STANDALONE, message);
      return;
    }
    const stream = this.byRequest.get(requestId);
    if (!stream) {
      if (this.closed) return;
      throw new Error(`No connection established for request ID: ${String(requestId)}`);
    }
    if (!response) {
      if (!stream.sse) this.upgrade(stream);
      if (stream.sse) this.emit(stream, stream.id, message);
      return;
    }
    stream.responses.set(requestId, message);
    if (stream.sse) this.emit(stream, stream.id, message);
    if (stream.responses.size < stream.requests.length) return;
    // Every request of the POST is answered: the stream is done.
    for (const id of stream.requests) this.byRequest.delete(id);
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    stream.keepAlive?.cancel();
    const responses = stream.requests.map((id) => stream.responses.get(id)!);
    if (stream.local) stream.local(responses);
    else if (stream.sse) stream.res?.end();
    else if (stream.res && !stream.res.headersSent) {
      const json = JSON.stringify(responses.length === 1 ? responses[0] : responses);
      // A content-length, so the body goes out in one piece rather than chunked.
      stream.res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(json),
        ...(this.sessionId ? { 'mcp-session-id': this.sessionId } : {}),
      });
      stream.res.end(json);
    }
  }

  /**
   * Something other than a response has to go out on an undecided POST first: it becomes an SSE
   * stream (a priming event with an id and `retry` for 2025-11-25 clients, as on every stream).
   * A POST whose client went away stays silent: it never told the client an event id to resume.
   */
  private upgrade(stream: Stream): void {
    const res = stream.res;
    if (!res || res.headersSent) return;
    this.store ??= new SessionEventStore();
    stream.sse = true;
    this.attach(stream, res);
    if (stream.protocolVersion >= RESUMABLE_SINCE) {
      const id = this.store.append(stream.id, {} as JSONRPCMessage, '{}');
      res.write(`id: ${id}\nretry: ${this.options.retryInterval}\ndata: \n\n`);
    }
    // A batch whose first requests were answered before: their responses go first.
    for (const requestId of stream.requests) {
      const answered = stream.responses.get(requestId);
      if (answered) this.emit(stream, stream.id, answered);
    }
  }

  /** Writes the SSE head on `res` and makes it the live end of `stream`. */
  private attach(stream: Stream, res: ServerResponse): void {
    stream.res = res;
    if (!res.headersSent) {
      res.writeHead(200, {
        ...SSE_HEADERS,
        ...(this.sessionId ? { 'mcp-session-id': this.sessionId } : {}),
      });
      res.flushHeaders();
    }
    stream.keepAlive?.cancel();
    stream.keepAlive = this.options.clock.every(KEEP_ALIVE_MS, () => {
      if (stream.res && !stream.res.writableEnded) stream.res.write(': keepalive\n\n');
    });
    // (A POST's own response already has this listener: a second one finds nothing to do.)
    res.once('close', () => this.detach(stream, res));
  }

  /** Stores `message` as an event of `streamId` and writes it where the stream is open. */
  private emit(stream: Stream | undefined, streamId: string, message: JSONRPCMessage): void {
    const json = JSON.stringify(message);
    const id = (this.store ??= new SessionEventStore()).append(streamId, message, json);
    const res = stream?.res;
    if (res && !res.writableEnded) res.write(`event: message\nid: ${id}\ndata: ${json}\n\n`);
  }

  /** The client's end of a stream closed: what comes on it is kept (SSE) or dropped (JSON). */
  private detach(stream: Stream, res: ServerResponse): void {
    if (stream.res !== res) return;
    stream.res = undefined;
    stream.keepAlive?.cancel();
    stream.keepAlive = undefined;
    if (stream.requests.length === 0 && this.streams.get(stream.id) === stream) {
      this.streams.delete(stream.id);
    }
  }

  /** Ends a POST's SSE stream mid-call so the client polls (SEP-1699 `closeSSEStream`). */
  private closeStream(stream: Stream): void {
    if (!stream.sse) this.upgrade(stream);
    const res = stream.res;
    if (!res) return;
    this.detach(stream, res);
    res.end();
  }

  private closeStandalone(): void {
    const standalone = this.streams.get(STANDALONE);
    const res = standalone?.res;
    if (!standalone || !res) return;
    this.detach(standalone, res);
    res.end();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const stream of this.streams.values()) {
      stream.keepAlive?.cancel();
      if (stream.res && !stream.res.writableEnded) {
        if (stream.res.headersSent) stream.res.end();
        else reply(stream.res, 404, SESSION_NOT_FOUND, 'Session not found');
      }
    }
    this.streams.clear();
    this.byRequest.clear();
    this.onclose?.();
    return Promise.resolve();
  }
}

function reply(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

function writeEvent(res: ServerResponse, message: JSONRPCMessage, id: string): void {
  res.write(`event: message\nid: ${id}\ndata: ${JSON.stringify(message)}\n\n`);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function isRequest(m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string } {
  return 'method' in m && 'id' in m;
}

function isResponse(m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } {
  return 'id' in m && !('method' in m) && m.id !== undefined;
}

function isInitialize(m: JSONRPCMessage): boolean {
  return isRequest(m) && m.method === 'initialize';
}

function protocolVersionOf(init: JSONRPCMessage): string {
  const params = (init as { params?: { protocolVersion?: unknown } }).params;
  return typeof params?.protocolVersion === 'string'
    ? params.protocolVersion
    : DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
}

/** A POST body as JSON-RPC messages, or undefined when one is not a JSON-RPC message. */
function parseMessages(body: unknown): JSONRPCMessage[] | undefined {
  const list: unknown[] = Array.isArray(body) ? body : [body];
  const messages: JSONRPCMessage[] = [];
  for (const item of list) {
    const message = plainMessage(item) ?? JSONRPCMessageSchema.safeParse(item).data;
    if (!message) return undefined;
    messages.push(message);
  }
  return messages;
}

/**
 * The common shapes, checked by hand (the SDK's server validates each request's params again
 * with the method's schema): a request or notification without `_meta`, a result. Anything else
 * (an error response, `_meta`, an unusual key) goes to the SDK's JSON-RPC schema, so what passes
 * is exactly what the schema would pass.
 */
function plainMessage(item: unknown): JSONRPCMessage | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const m = item as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return undefined;
  let keys = 1;
  const id = m.id;
  if (id !== undefined) {
    if (typeof id !== 'string' && !Number.isInteger(id)) return undefined;
    keys++;
  }
  if (typeof m.method === 'string') {
    keys++;
    const params = m.params;
    if (params !== undefined) {
      if (typeof params !== 'object' || params === null || Array.isArray(params)) return undefined;
      if ('_meta' in params) return undefined;
      keys++;
    }
  } else if (id !== undefined && isPlainObject(m.result)) {
    if ('_meta' in (m.result as object)) return undefined;
    keys++;
  } else {
    return undefined;
  }
  return Object.keys(m).length === keys ? (m as unknown as JSONRPCMessage) : undefined;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
