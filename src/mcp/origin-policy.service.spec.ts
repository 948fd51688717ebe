import { describe, expect, it } from '@jest/globals';
import { SatelliteConfig } from '../config/satellite-config.js';
import { OriginPolicyService } from './origin-policy.service.js';

const policy = (host: string, allowedOrigins = ['localhost', '127.0.0.1', '[::1]']) =>
  new OriginPolicyService({
    http: { host, port: 3001 },
    mcp: { allowedOrigins },
  } as unknown as SatelliteConfig);

describe('OriginPolicyService (DNS-rebinding protection)', () => {
  it('lets requests without Origin through, and loopback origins on any port', () => {
    const p = policy('127.0.0.1');
    expect(p.refuse({ host: '127.0.0.1:3001' })).toBeUndefined();
    expect(p.refuse({ host: 'localhost:3001', origin: 'http://localhost:6274' })).toBeUndefined();
    expect(p.refuse({ host: '[::1]:3001', origin: 'http://[::1]:9999' })).toBeUndefined();
  });

  it('refuses a foreign or unparsable Origin', () => {
    const p = policy('127.0.0.1');
    expect(p.refuse({ host: '127.0.0.1:3001', origin: 'http://evil.example.com' })).toMatch(
      /Origin http:\/\/evil\.example\.com/,
    );
    expect(p.refuse({ host: '127.0.0.1:3001', origin: 'null' })).toMatch(/not allowed/);
  });

  it('on loopback, refuses a foreign Host header (a rebound DNS name)', () => {
    expect(policy('127.0.0.1').refuse({ host: 'evil.example.com:3001' })).toMatch(
      /Host evil\.example\.com:3001/,
    );
  });

  it('on a public bind, checks only Origin, against the configured hostnames', () => {
    const p = policy('0.0.0.0', ['app.example.com']);
    expect(p.refuse({ host: 'satellite.internal:3001' })).toBeUndefined();
    expect(
      p.refuse({ host: 'satellite.internal', origin: 'https://app.example.com' }),
    ).toBeUndefined();
    expect(p.refuse({ host: 'satellite.internal', origin: 'http://localhost:3000' })).toBeDefined();
  });
});
