import { Injectable } from '@nestjs/common';
import { callScope, type UpstreamCallOrigin } from '../discovery/call-scope.js';
import type { DownstreamPeer } from './downstream-peer.js';

/**
 * One downstream request being served by an upstream request: what an upstream message that
 * belongs to it must reach. Created when the call starts, ended (and unregistered) when it ends.
 */
export interface DownstreamCall extends UpstreamCallOrigin {
  /** The calling client, on the stream of its request (absent: nobody to reach). */
  readonly peer?: DownstreamPeer;
  /** The downstream session, or a key of its own for a call without one. */
  readonly sessionKey: string;
  ended: boolean;
  /** The last message on its way to the client for this call (settles, never rejects). */
  lastSend?: Promise<void>;
}

/** A client to send an upstream notification to, on the stream of `call` when there is one. */
export interface Target {
  readonly peer: DownstreamPeer;
  readonly call?: DownstreamCall;
}

/** Where an upstream message goes: one client, or nobody and why. */
export type Route = { peer: DownstreamPeer } | { refused: string };

interface Attached {
  readonly peer: DownstreamPeer;
  readonly subscriptions: Set<string>;
}

let anonymousCalls = 0;

/**
 * Which downstream client an upstream message belongs to (docs/routing.md). Upstream connections
 * are shared by every session, and every SDK client numbers its requests (and so its progress
 * tokens) from the same small numbers, so nothing a client chose can key this: each call is an object of its own, registered while it runs and forgotten when it
 * ends, and upstream messages find it through the call scope they arrive in (call-scope.ts).
 * Progress and cancellation need none of this: the SDK client gives each upstream request its own
 * id and token on the connection, and the call's own closures map them back.
 *
 * A message that arrives outside any call (stdio and legacy SSE carry no link to the request that
 * caused it) is attributed only when that is unambiguous: all calls in flight on the server come
 * from one session. Otherwise it reaches nobody: a request is refused, a log message dropped,
 * rather than delivered to the wrong client.
 */
@Injectable()
export class CallContextRegistry {
  private readonly inFlight = new Map<string, Set<DownstreamCall>>();
  private readonly attached = new Map<string, Map<string, Attached>>();
  /** Per server: the call whose stream carries the messages that came outside any call. */
  private readonly carriers = new Map<string, DownstreamCall>();

  /** Registers a call in flight on `serverId`; `end` it when it is over. */
  begin(serverId: string, peer: DownstreamPeer | undefined): DownstreamCall {
    const call: DownstreamCall = {
      serverId,
      ...(peer ? { peer } : {}),
      sessionKey: peer?.sessionId ?? `call:${++anonymousCalls}`,
      ended: false,
    };
    let calls = this.inFlight.get(serverId);
    if (!calls) this.inFlight.set(serverId, (calls = new Set()));
    calls.add(call);
    return call;
  }

  end(call: DownstreamCall): void {
    call.ended = true;
    const calls = this.inFlight.get(call.serverId);
    calls?.delete(call);
    if (calls?.size === 0) this.inFlight.delete(call.serverId);
    if (this.carriers.get(call.serverId) === call) this.carriers.delete(call.serverId);
  }

  /** Runs `fn` (the upstream request of `call`) in the call's scope. */
  within<T>(call: DownstreamCall, fn: () => T): T {
    return callScope.run(call, fn);
  }

  /**
   * Sends something to the client of a call that is still running and remembers it, so that
   * the call's result follows it on the same stream (`flushed`) instead of closing the stream
   * before it is written.
   */
  sendFor(
    call: DownstreamCall | undefined,
    peer: DownstreamPeer,
    send: () => Promise<void>,
  ): Promise<void> {
    const sending = send();
    if (call && !call.ended && call.peer === peer) call.lastSend = sending.catch(() => undefined);
    return sending;
  }

  /** Resolves once what was sent for the call so far is written (or failed). */
  async flushed(call: DownstreamCall): Promise<void> {
    while (call.lastSend) {
      const last = call.lastSend;
      await last;
      if (call.lastSend === last) return;
    }
  }

  /** Binds a direct-endpoint session to its server; returns the function that detaches it. */
  attach(serverId: string, peer: DownstreamPeer): () => void {
    const sessions = this.attached.get(serverId) ?? new Map<string, Attached>();
    sessions.set(peer.sessionId, { peer, subscriptions: new Set() });
    this.attached.set(serverId, sessions);
    return () => {
      sessions.delete(peer.sessionId);
      if (sessions.size === 0) this.attached.delete(serverId);
    };
  }

  /** The client a server→client request goes to, or why it goes to none. */
  routeRequest(
    serverId: string,
    origin: UpstreamCallOrigin | undefined,
    method: string,
    canAnswer: (peer: DownstreamPeer) => boolean,
  ): Route {
    const call = this.callOf(serverId, origin);
    if (call) {
      if (call.ended || !call.peer)
        return { refused: `${method} arrived after the call that caused it had ended` };
      return canAnswer(call.peer)
        ? { peer: call.peer }
        : { refused: `The calling client does not support ${method}` };
    }
    const calls = this.inFlight.get(serverId);
    if (calls && calls.size > 0) {
      const sessions = sessionsOf(calls);
      if (sessions > 1) {
        return {
          refused:
            `${method} cannot be attributed to one of the ${sessions} clients with calls in flight ` +
            `on this server (its transport does not say which call it belongs to)`,
        };
      }
      const peers = [...calls].flatMap((c) => (c.peer ? [c.peer] : []));
      for (let i = peers.length - 1; i >= 0; i--)
        if (canAnswer(peers[i])) return { peer: peers[i] };
      return { refused: `The calling client does not support ${method}` };
    }
    const direct = this.directSessions(serverId).filter(canAnswer);
    if (direct.length === 1) return { peer: direct[0] };
    return {
      refused:
        direct.length === 0
          ? `${method} needs a client call in progress to answer it`
          : `${method} cannot be attributed to one of the ${direct.length} clients connected to this server`,
    };
  }

  /**
   * Who a log message of the server goes to (none when that cannot be known), with the call
   * whose stream carries it, if any (its result then waits for it: `sendFor`).
   */
  logTargets(serverId: string, origin: UpstreamCallOrigin | undefined): Target[] {
    const call = this.callOf(serverId, origin);
    if (call) {
      if (!call.ended && call.peer) return [{ peer: call.peer, call }];
      // After the call, its request's stream is gone: a direct session still gets it on its own.
      const session = this.attached.get(serverId)?.get(call.sessionKey)?.peer;
      return session ? [{ peer: session }] : [];
    }
    const calls = this.inFlight.get(serverId);
    if (calls && calls.size > 0) {
      if (sessionsOf(calls) > 1) return [];
      // One session: any of its calls' streams reaches it. Keep to one while it lasts, so that
      // the messages stay in order.
      let carrier = this.carriers.get(serverId);
      if (!carrier || carrier.ended || !calls.has(carrier))
        carrier = [...calls].reverse().find((c) => c.peer);
      if (!carrier?.peer) return [];
      this.carriers.set(serverId, carrier);
      return [{ peer: carrier.peer, call: carrier }];
    }
    // A log of the shared connection itself, outside any call: the server's direct sessions.
    return this.directSessions(serverId).map((peer) => ({ peer }));
  }

  /** Calls in flight on the server (tests, debugging). */
  inFlightCount(serverId: string): number {
    return this.inFlight.get(serverId)?.size ?? 0;
  }

  directSessions(serverId: string): DownstreamPeer[] {
    const sessions = this.attached.get(serverId);
    return sessions ? [...sessions.values()].map((a) => a.peer) : [];
  }

  subscribe(serverId: string, sessionId: string, uri: string): void {
    this.attached.get(serverId)?.get(sessionId)?.subscriptions.add(uri);
  }

  /** Returns true when no other session of the server is still subscribed to `uri`. */
  unsubscribe(serverId: string, sessionId: string, uri: string): boolean {
    this.attached.get(serverId)?.get(sessionId)?.subscriptions.delete(uri);
    return this.subscribers(serverId, uri).length === 0;
  }

  subscriptionsOf(serverId: string, sessionId: string): string[] {
    return [...(this.attached.get(serverId)?.get(sessionId)?.subscriptions ?? [])];
  }

  subscribers(serverId: string, uri: string): DownstreamPeer[] {
    return [...(this.attached.get(serverId)?.values() ?? [])]
      .filter((a) => a.subscriptions.has(uri))
      .map((a) => a.peer);
  }

  /** The call an upstream message arrived under, if it is one of ours for this server. */
  private callOf(
    serverId: string,
    origin: UpstreamCallOrigin | undefined,
  ): DownstreamCall | undefined {
    return origin && origin.serverId === serverId && isCall(origin) ? origin : undefined;
  }
}

function isCall(origin: UpstreamCallOrigin): origin is DownstreamCall {
  return typeof (origin as Partial<DownstreamCall>).sessionKey === 'string';
}

function sessionsOf(calls: Set<DownstreamCall>): number {
  return new Set([...calls].map((c) => c.sessionKey)).size;
}
