import { describe, expect, it } from '@jest/globals';
import { isLegacyRequest } from '@modelcontextprotocol/server';
import fc from 'fast-check';
import { mayBeModern } from './era.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const headersOf = (version?: string) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(version ? { 'mcp-protocol-version': version } : {}),
});
const sdkSaysLegacy = (version: string | undefined, body: unknown) =>
  isLegacyRequest(
    new Request('http://satellite.internal/mcp', { method: 'POST', headers: headersOf(version) }),
    body,
  );

const version = fc.option(fc.constantFrom('2024-11-05', '2025-06-18', '2025-11-25', '2026-07-28'), {
  nil: undefined,
});
const meta = fc.oneof(
  fc.constant(undefined),
  fc.dictionary(
    fc.constantFrom('progressToken', 'traceparent', 'io.modelcontextprotocol/x'),
    fc.string(),
  ),
  fc.record({ [CLAIM]: fc.constantFrom('2026-07-28', '2025-11-25', 7) }),
);
const message = fc.record({
  jsonrpc: fc.constant('2.0'),
  id: fc.option(fc.integer(), { nil: undefined }),
  method: fc.constantFrom(
    'initialize',
    'tools/call',
    'tools/list',
    'ping',
    'notifications/initialized',
  ),
  params: fc.option(fc.record({ _meta: meta }, { requiredKeys: [] }), { nil: undefined }),
});

describe('mayBeModern (the pre-check before the SDK classifies a POST)', () => {
  it('says maybe for an envelope claim or a 2026 MCP-Protocol-Version, and no otherwise', () => {
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } };
    expect(mayBeModern(headersOf('2025-11-25'), call)).toBe(false);
    expect(mayBeModern(headersOf(), [call, call])).toBe(false);
    expect(mayBeModern(headersOf('2026-07-28'), call)).toBe(true);
    const claimed = { ...call, params: { name: 'x', _meta: { [CLAIM]: '2026-07-28' } } };
    expect(mayBeModern(headersOf(), claimed)).toBe(true);
    expect(mayBeModern(headersOf(), [call, claimed])).toBe(true);
  });

  it('never calls old-era a POST the SDK would route to the 2026-07-28 path', async () => {
    await fc.assert(
      fc.asyncProperty(
        version,
        fc.oneof(message, fc.array(message, { minLength: 1, maxLength: 3 })),
        async (v, generated) => {
          const body: unknown = JSON.parse(JSON.stringify(generated)); // as a request body arrives
          if (!mayBeModern(headersOf(v), body)) expect(await sdkSaysLegacy(v, body)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
