import { describe, expect, it } from '@jest/globals';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { SIGNED_SESSION_MAX_AGE_S, SessionIdCodec } from './session-id.codec.js';

const codec = (secret?: string) =>
  new SessionIdCodec({ mcp: { ...(secret ? { sessionSecret: secret } : {}) } } as SatelliteConfig);
const claims = {
  endpoint: 'meta',
  ownerHash: SessionIdCodec.ownerHash('user-1@team-a'),
  protocolVersion: '2025-11-25',
  capabilities: { sampling: {}, elicitation: { form: {} } },
  clientInfo: { name: 'claude-code', version: '2.1.0' },
};

describe('SessionIdCodec', () => {
  it('mints 32 random bytes (base64url) and verifies nothing without a secret', () => {
    const c = codec();
    const id = c.mint(claims);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.mint(claims)).not.toBe(id);
    expect(c.verify(id)).toBeUndefined();
  });

  it('round-trips the claims of a signed id', () => {
    const c = codec('s'.repeat(32));
    const now = Date.UTC(2026, 10, 29);
    expect(c.verify(c.mint(claims, now), now)).toEqual({
      ...claims,
      issuedAt: now / 1000,
    });
  });

  it('refuses a tampered payload, a tampered signature, another secret and an old id', () => {
    const c = codec('s'.repeat(32));
    const now = Date.now();
    const id = c.mint(claims, now);
    const [body, sig] = id.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as { o: string };
    payload.o = SessionIdCodec.ownerHash('someone-else@team-a');
    const otherBody = Buffer.from(JSON.stringify(payload)).toString('base64url');
    expect(c.verify(`${otherBody}.${sig}`, now)).toBeUndefined();
    expect(c.verify(`${body}.${sig.slice(0, -2)}AA`, now)).toBeUndefined();
    expect(codec('t'.repeat(32)).verify(id, now)).toBeUndefined();
    expect(c.verify(id, now + (SIGNED_SESSION_MAX_AGE_S + 1) * 1000)).toBeUndefined();
    expect(c.verify('not-an-id', now)).toBeUndefined();
  });

  it('keeps an id short when the client declares large capabilities', () => {
    const c = codec('s'.repeat(32));
    const big = { ...claims, capabilities: { experimental: { blob: { x: 'y'.repeat(2000) } } } };
    const id = c.mint(big);
    expect(id.length).toBeLessThan(700);
    expect(c.verify(id)?.capabilities).toEqual({ experimental: {} });
  });
});
