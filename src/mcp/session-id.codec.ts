import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';

/** What a replica needs to rebuild a session it has never seen (carried inside a signed id). */
export interface SessionClaims {
  /** `meta` or `direct:{slug}`: where the id is valid. */
  readonly endpoint: string;
  /** SHA-256 (truncated) of the owner identity: the principal is not readable from the id. */
  readonly ownerHash: string;
  readonly protocolVersion: string;
  readonly capabilities: ClientCapabilities;
  readonly clientInfo: Implementation;
  /** Issued at, epoch seconds. */
  readonly issuedAt: number;
}

interface Payload {
  /** 32 random bytes, base64url: the id is unguessable with or without a secret. */
  n: string;
  e: string;
  o: string;
  v: string;
  c: ClientCapabilities;
  i: { name: string; version: string };
  t: number;
}

/** A signed id can be adopted by another replica for this long after it was issued. */
export const SIGNED_SESSION_MAX_AGE_S = 24 * 60 * 60;
/** Capabilities larger than this are cut to their top-level keys (ids travel in a header). */
const MAX_CAPABILITIES_JSON = 512;

/**
 * Session ids. Without `DEPLOYSTACK_SESSION_SECRET`: 32 random bytes, base64url, and a session
 * lives only in the replica that created it. With it: `<payload>.<HMAC-SHA256>`, base64url, where
 * the payload holds the random part plus what the session needs (endpoint, owner hash, protocol
 * version, client capabilities and info), so any replica sharing the secret can verify the id and
 * rebuild the session on first sight, and a plain round-robin load balancer works.
 */
@Injectable()
export class SessionIdCodec {
  private readonly secret?: Buffer;

  constructor(config: SatelliteConfig) {
    if (config.mcp.sessionSecret) this.secret = Buffer.from(config.mcp.sessionSecret, 'utf8');
  }

  get shared(): boolean {
    return this.secret !== undefined;
  }

  static ownerHash(owner: string): string {
    return createHash('sha256').update(owner).digest().subarray(0, 16).toString('base64url');
  }

  mint(claims: Omit<SessionClaims, 'issuedAt'>, now = Date.now()): string {
    const nonce = randomBytes(32).toString('base64url');
    if (!this.secret) return nonce;
    const payload: Payload = {
      n: nonce,
      e: claims.endpoint,
      o: claims.ownerHash,
      v: claims.protocolVersion,
      c: compactCapabilities(claims.capabilities),
      i: { name: claims.clientInfo.name, version: claims.clientInfo.version },
      t: Math.floor(now / 1000),
    };
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The claims of a genuine, unexpired signed id; undefined for anything else. */
  verify(id: string, now = Date.now()): SessionClaims | undefined {
    if (!this.secret || id.length > 4096) return undefined;
    const dot = id.indexOf('.');
    if (dot <= 0 || dot !== id.lastIndexOf('.')) return undefined;
    const body = id.slice(0, dot);
    const given = Buffer.from(id.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let p: Payload;
    try {
      p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    } catch {
      return undefined;
    }
    if (typeof p.t !== 'number' || now / 1000 - p.t > SIGNED_SESSION_MAX_AGE_S) return undefined;
    return {
      endpoint: p.e,
      ownerHash: p.o,
      protocolVersion: p.v,
      capabilities: p.c ?? {},
      clientInfo: p.i ?? { name: 'unknown', version: '0' },
      issuedAt: p.t,
    };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret!).update(body).digest('base64url');
  }
}

function compactCapabilities(caps: ClientCapabilities): ClientCapabilities {
  if (JSON.stringify(caps).length <= MAX_CAPABILITIES_JSON) return caps;
  return Object.fromEntries(Object.keys(caps).map((k) => [k, {}]));
}
