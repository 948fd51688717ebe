import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  ErrorCode,
  McpError,
  type ClientCapabilities,
  type Notification,
  type ProgressToken,
  type Request,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { DownstreamPeer } from './downstream-peer.js';

/** The methods an old-era upstream may send that the 2026-07-28 era carries as input requests. */
const BRIDGED = new Set(['elicitation/create', 'sampling/createMessage', 'roots/list']);

/** Where the messages of one round (one HTTP request of a 2026-07-28 client) go. */
export interface RoundSink {
  /** Sends a notification on the round's response stream. */
  readonly notify: (notification: Notification) => Promise<void>;
  /** The round's own progress token, when the client asked for progress on it. */
  readonly progressToken?: ProgressToken;
  /** Aborts when the client gave up on the round (the call is then cancelled). */
  readonly signal: AbortSignal;
}

/** What a round answers: the call's result, or the input it waits for. */
export type RoundOutcome =
  | { readonly kind: 'complete'; readonly result: Result }
  | {
      readonly kind: 'input_required';
      readonly inputRequests: Record<string, { method: string; params?: unknown }>;
      readonly requestState: string;
    };

interface Asked {
  readonly key: string;
  readonly request: Request;
  resolve(result: Result): void;
  reject(err: Error): void;
}

interface PendingCall {
  readonly id: string;
  readonly owner: string;
  readonly abort: AbortController;
  readonly settled: Promise<{ result?: Result; error?: Error }>;
  /** Input requests the client has not been shown yet. */
  readonly fresh: Asked[];
  /** Input requests shown to the client, waiting for its retry. */
  readonly waiting: Map<string, Asked>;
  sink: RoundSink;
  /** Wakes the round waiting for something to answer. */
  wake?: () => void;
  abandon?: NodeJS.Timeout;
  next: number;
}

/**
 * Bridges the server-to-client requests of a 2025-11-25 upstream (elicitation, sampling, roots)
 * onto the multi-round-trip pattern of 2026-07-28 (docs/protocol.md "Two protocol eras"): the
 * upstream call runs on the satellite's own upstream session; when the upstream asks the client
 * something, the client's request is answered `input_required` with the question and an opaque
 * `requestState`; the client's retry carries the answer, which completes the upstream's request,
 * and waits for what comes next. The only state kept for a 2026-07-28 client lives here, and only
 * while an upstream call waits for its input; it is held by the replica running the call.
 */
@Injectable()
export class InputBridgeService implements OnModuleDestroy {
  private readonly pending = new Map<string, PendingCall>();

  constructor(private readonly config: SatelliteConfig) {}

  onModuleDestroy(): void {
    for (const call of this.pending.values()) call.abort.abort(new Error('shutting down'));
  }

  /**
   * Starts `run` (an upstream call) for a 2026-07-28 client: `run` gets the peer that upstream
   * requests of the call reach, and the call's signal. Answers the first round.
   */
  start(
    owner: string,
    capabilities: ClientCapabilities | undefined,
    sink: RoundSink,
    run: (peer: DownstreamPeer, signal: AbortSignal) => Promise<Result>,
  ): Promise<RoundOutcome> {
    const id = randomBytes(24).toString('base64url');
    const abort = new AbortController();
    const call = { id, owner, abort, fresh: [], waiting: new Map(), sink, next: 0 } as Omit<
      PendingCall,
      'settled'
    > as PendingCall;
    const peer: DownstreamPeer = {
      sessionId: `mrtr:${id.slice(0, 12)}`,
      capabilities: () => capabilities,
      sendNotification: (notification) => this.notify(call, notification),
      sendRequest: (request, signal) => this.ask(call, request, signal),
    };
    (call as { settled: PendingCall['settled'] }).settled = run(peer, abort.signal).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return this.round(call, sink);
  }

  /**
   * A retry: `requestState` names the call, `inputResponses` answer what it asked. A state this
   * replica does not hold (expired, answered already, or the call runs on another replica) is a
   * clear invalid-params error.
   */
  resume(
    owner: string,
    requestState: string,
    inputResponses: Record<string, unknown> | undefined,
    sink: RoundSink,
  ): Promise<RoundOutcome> {
    const call = this.pending.get(requestState);
    if (!call || call.owner !== owner) {
      throw new McpError(
        ErrorCode.InvalidParams,
        'requestState names no upstream call waiting for input here: it expired, was answered ' +
          'already, or the call runs on another satellite replica (a bridged call stays on the ' +
          'replica that started it). Send the request again without requestState.',
      );
    }
    this.pending.delete(call.id);
    clearTimeout(call.abandon);
    for (const [key, asked] of call.waiting) {
      const answer = inputResponses?.[key];
      call.waiting.delete(key);
      if (answer === undefined || answer === null || typeof answer !== 'object') {
        asked.reject(
          new McpError(
            ErrorCode.InvalidParams,
            `the client sent no answer to ${asked.request.method}`,
          ),
        );
      } else {
        asked.resolve(answer as Result);
      }
    }
    return this.round(call, sink);
  }

  /** Waits until the call ends or asks the client something, whichever comes first. */
  private async round(call: PendingCall, sink: RoundSink): Promise<RoundOutcome> {
    call.sink = sink;
    const gaveUp = () => call.abort.abort(new Error('the client cancelled the request'));
    sink.signal.addEventListener('abort', gaveUp, { once: true });
    try {
      const asked = new Promise<void>((resolve) => {
        call.wake = resolve;
        if (call.fresh.length > 0) resolve();
      });
      const first = await Promise.race([call.settled.then(() => 'settled' as const), asked]);
      if (first === 'settled') {
        const { result, error } = await call.settled;
        if (error !== undefined) throw error;
        return { kind: 'complete', result: result! };
      }
      const inputRequests: Record<string, { method: string; params?: unknown }> = {};
      for (const asked of call.fresh.splice(0)) {
        call.waiting.set(asked.key, asked);
        inputRequests[asked.key] = {
          method: asked.request.method,
          ...(asked.request.params ? { params: asked.request.params } : {}),
        };
      }
      this.pending.set(call.id, call);
      // A client that never retries: the upstream call is cancelled after the call timeout.
      call.abandon = setTimeout(() => {
        if (this.pending.get(call.id) !== call) return;
        this.pending.delete(call.id);
        call.abort.abort(new Error('the client did not answer the input request in time'));
      }, this.config.discovery.callTimeoutMs);
      call.abandon.unref();
      return { kind: 'input_required', inputRequests, requestState: call.id };
    } finally {
      call.wake = undefined;
      sink.signal.removeEventListener('abort', gaveUp);
    }
  }

  private ask(call: PendingCall, request: Request, signal: AbortSignal): Promise<Result> {
    if (!BRIDGED.has(request.method)) {
      return Promise.reject(
        new McpError(
          ErrorCode.MethodNotFound,
          `${request.method} cannot be bridged to a 2026-07-28 client (only elicitation, sampling and roots)`,
        ),
      );
    }
    return new Promise<Result>((resolve, reject) => {
      const key = `${request.method.split('/')[0]}-${++call.next}`;
      const asked: Asked = { key, request, resolve, reject };
      const onAbort = () => {
        call.waiting.delete(key);
        const i = call.fresh.indexOf(asked);
        if (i >= 0) call.fresh.splice(i, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      call.abort.signal.addEventListener('abort', onAbort, { once: true });
      call.fresh.push(asked);
      call.wake?.();
    });
  }

  /** Notifications go on the stream of the round in progress; progress under its token. */
  private notify(call: PendingCall, notification: Notification): Promise<void> {
    const { sink } = call;
    if (sink.signal.aborted) return Promise.resolve();
    if (notification.method === 'notifications/progress') {
      if (sink.progressToken === undefined) return Promise.resolve();
      return sink.notify({
        ...notification,
        params: { ...notification.params, progressToken: sink.progressToken },
      });
    }
    return sink.notify(notification);
  }
}
