import { Injectable } from '@nestjs/common';
import type { DownstreamPeer } from './downstream-peer.js';

interface Attached {
  readonly peer: DownstreamPeer;
  readonly subscriptions: Set<string>;
}

/**
 * Which downstream clients an upstream server may reach right now: the callers with a call in
 * flight on it (most recent last), and the direct-endpoint sessions bound to it. Upstream
 * connections are shared, and stdio carries no link between a server→client request and the call
 * that caused it, so a request goes to the most recent caller that can answer it.
 */
@Injectable()
export class CallContextRegistry {
  private readonly inFlight = new Map<string, DownstreamPeer[]>();
  private readonly attached = new Map<string, Map<string, Attached>>();

  /** Marks a call in flight; returns the function that ends it. */
  enter(serverId: string, peer: DownstreamPeer): () => void {
    const list = this.inFlight.get(serverId) ?? [];
    list.push(peer);
    this.inFlight.set(serverId, list);
    return () => {
      const i = list.indexOf(peer);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.inFlight.delete(serverId);
    };
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

  /** The caller to route a server→client request to: latest in-flight first, then direct sessions. */
  route(
    serverId: string,
    canAnswer: (peer: DownstreamPeer) => boolean,
  ): DownstreamPeer | undefined {
    const calls = this.inFlight.get(serverId) ?? [];
    for (let i = calls.length - 1; i >= 0; i--) if (canAnswer(calls[i])) return calls[i];
    const direct = [...(this.attached.get(serverId)?.values() ?? [])].reverse();
    return direct.find((a) => canAnswer(a.peer))?.peer;
  }

  callers(serverId: string): readonly DownstreamPeer[] {
    return this.inFlight.get(serverId) ?? [];
  }

  directSessions(serverId: string): DownstreamPeer[] {
    return [...(this.attached.get(serverId)?.values() ?? [])].map((a) => a.peer);
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
}
