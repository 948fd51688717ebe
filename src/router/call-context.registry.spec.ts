import { describe, expect, it } from '@jest/globals';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { callScope } from '../discovery/call-scope.js';
import { CallContextRegistry } from './call-context.registry.js';
import type { DownstreamPeer } from './downstream-peer.js';

const peer = (sessionId: string, capabilities: ClientCapabilities = {}): DownstreamPeer => ({
  sessionId,
  sendRequest: () => Promise.resolve({}),
  sendNotification: () => Promise.resolve(),
  capabilities: () => capabilities,
});
const any = () => true;

describe('CallContextRegistry', () => {
  it('routes what arrived in a call scope to that call, whoever else is calling', () => {
    const r = new CallContextRegistry();
    const a = r.begin('s', peer('A'));
    const b = r.begin('s', peer('B'));
    expect(r.within(a, () => r.routeRequest('s', callScope.current(), 'm', any))).toEqual({
      peer: a.peer,
    });
    expect(r.logTargets('s', b)).toEqual([{ peer: b.peer, call: b }]);
    // Another server's call in scope says nothing about this server.
    const other = r.begin('t', peer('C'));
    expect(r.routeRequest('s', other, 'm', any)).toEqual({
      refused: expect.stringMatching(/cannot be attributed to one of the 2 clients/),
    });
  });

  it('refuses a request the calling client cannot answer, or one whose call has ended', () => {
    const r = new CallContextRegistry();
    const a = r.begin('s', peer('A'));
    expect(r.routeRequest('s', a, 'sampling/createMessage', () => false)).toEqual({
      refused: 'The calling client does not support sampling/createMessage',
    });
    r.end(a);
    expect(r.routeRequest('s', a, 'm', any)).toEqual({
      refused: 'm arrived after the call that caused it had ended',
    });
    expect(r.inFlightCount('s')).toBe(0);
  });

  it('attributes what came outside any call only when one session is calling', () => {
    const r = new CallContextRegistry();
    const a1 = r.begin('s', peer('A'));
    const a2 = r.begin('s', peer('A'));
    expect(r.routeRequest('s', undefined, 'm', any)).toEqual({ peer: a2.peer });
    // The same carrier for the session's log messages while it runs, so they stay in order.
    expect(r.logTargets('s', undefined)).toEqual([{ peer: a2.peer, call: a2 }]);
    r.begin('s', peer('A'));
    expect(r.logTargets('s', undefined)).toEqual([{ peer: a2.peer, call: a2 }]);
    r.end(a2);
    expect(r.logTargets('s', undefined)[0]?.peer.sessionId).toBe('A');
    const b = r.begin('s', peer('B'));
    expect(r.logTargets('s', undefined)).toEqual([]);
    expect(r.routeRequest('s', undefined, 'm', any)).toEqual({
      refused: expect.stringMatching(/cannot be attributed to one of the 2 clients/),
    });
    r.end(b);
    r.end(a1);
  });

  it('sends a log of an ended call to its direct session, and idle-time messages to direct sessions', () => {
    const r = new CallContextRegistry();
    const session = peer('A');
    const detach = r.attach('s', session);
    const a = r.begin('s', peer('A'));
    r.end(a);
    expect(r.logTargets('s', a)).toEqual([{ peer: session }]);
    expect(r.logTargets('s', undefined)).toEqual([{ peer: session }]);
    expect(r.routeRequest('s', undefined, 'm', any)).toEqual({ peer: session });
    const detachB = r.attach('s', peer('B'));
    expect(r.routeRequest('s', undefined, 'm', any)).toEqual({
      refused: expect.stringMatching(/one of the 2 clients connected/),
    });
    detachB();
    detach();
    expect(r.routeRequest('s', undefined, 'm', any)).toEqual({
      refused: 'm needs a client call in progress to answer it',
    });
  });

  it('lets a call result wait for what was sent for it', async () => {
    const r = new CallContextRegistry();
    const p = peer('A');
    const a = r.begin('s', p);
    let written = false;
    void r.sendFor(
      a,
      p,
      () => new Promise<void>((res) => setTimeout(() => res(void (written = true)), 10)),
    );
    await r.flushed(a);
    expect(written).toBe(true);
  });
});
