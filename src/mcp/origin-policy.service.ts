import { Injectable } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * DNS-rebinding protection (MCP 2025-11-25 transports, "Security Warning"): a present Origin
 * must name an allowed host; when the satellite listens on loopback, the Host header must be a
 * loopback name (or an allowed one) too. The SDK's own options are deprecated and compare the
 * port as well (docs/testing.md "SDK traps"), so the check lives here, by hostname.
 */
@Injectable()
export class OriginPolicyService {
  private readonly allowed: Set<string>;
  private readonly checkHost: boolean;

  constructor(config: SatelliteConfig) {
    this.allowed = new Set(config.mcp.allowedOrigins.map((h) => h.toLowerCase()));
    this.checkHost = LOOPBACK.has(config.http.host) || config.http.host === 'localhost';
  }

  /** Returns why the request is refused, or undefined when it may proceed. */
  refuse(headers: { origin?: string | string[]; host?: string | string[] }): string | undefined {
    const origin = first(headers.origin);
    if (origin !== undefined) {
      const host = hostnameOf(origin);
      if (!host || !this.allowed.has(host)) return `Origin ${origin} is not allowed`;
    }
    if (this.checkHost) {
      const host = first(headers.host);
      const name = host ? hostnameOf(`http://${host}`) : undefined;
      if (!name || !(LOOPBACK.has(name) || this.allowed.has(name)))
        return `Host ${host ?? '(none)'} is not allowed`;
    }
    return undefined;
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}
