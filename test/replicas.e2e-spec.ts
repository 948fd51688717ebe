// Invariant: two satellites sharing DEPLOYSTACK_SESSION_SECRET behind a plain round-robin proxy
// serve one client session between them: every request may land on either replica, and the
// replica that has not seen the session rebuilds it from the signed id (with the client's
// capabilities, so sampling still reaches the client). Forged ids, ids signed with another
// secret and ids the client deleted get 404.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { SessionRegistryService } from '../src/mcp/session-registry.service.js';
import { postMcp } from './support/mcp-http.js';
import { roundRobin } from './support/round-robin.js';
import { type Satellite, startSatellite } from './support/satellite.js';
import { EVERYTHING, stdioEntry } from './support/upstreams.js';

const SECRET = 'replica-test-secret-0123456789-abcdefghij';
const SERVERS = { everything: stdioEntry(EVERYTHING) };

const text = (r: CallToolResult) =>
  r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('several replicas behind a round-robin load balancer', () => {
  let a: Satellite;
  let b: Satellite;
  let stranger: Satellite;
  let proxy: Awaited<ReturnType<typeof roundRobin>>;
  let client: Client;

  const post = (base: string, sessionId: string, body: unknown) =>
    postMcp(`${base}/mcp`, body, {
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    });
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };

  beforeAll(async () => {
    [a, b, stranger] = await Promise.all([
      startSatellite(SERVERS, { DEPLOYSTACK_SESSION_SECRET: SECRET }),
      startSatellite(SERVERS, { DEPLOYSTACK_SESSION_SECRET: SECRET }),
      startSatellite(SERVERS, { DEPLOYSTACK_SESSION_SECRET: `${SECRET}-other` }),
    ]);
    proxy = await roundRobin([a.baseUrl, b.baseUrl]);
    client = new Client({ name: 'replicas-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`)));
  }, 90_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await proxy?.close();
    await Promise.all([a?.stop(), b?.stop(), stranger?.stop()]);
  });

  it('serves every request of one session, whichever replica it lands on', async () => {
    for (let i = 0; i < 6; i++) {
      const result = (await client.callTool({
        name: 'execute_mcp_tool',
        arguments: { tool_path: 'everything-echo', arguments: { message: `call ${i}` } },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(text(result)).toContain(`call ${i}`);
    }
    const found = (await client.callTool({
      name: 'discover_mcp_tools',
      arguments: { query: 'echo a message back' },
    })) as CallToolResult;
    expect(JSON.stringify(found.structuredContent)).toContain('everything-echo');
    expect(proxy.served[0]).toBeGreaterThan(2);
    expect(proxy.served[1]).toBeGreaterThan(2);
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    expect(a.app.get(SessionRegistryService).touch(sessionId)).toBeDefined();
    expect(b.app.get(SessionRegistryService).touch(sessionId)).toBeDefined();
  });

  it("keeps the client's capabilities: a replica that rebuilt the session can ask for sampling", async () => {
    // The answer to a server-to-client request must reach the replica that asked, which a
    // round-robin balancer cannot promise (docs/operations.md: affinity for sampling/elicitation).
    // So: a session opened on A, then used on B directly, B having never seen it.
    const onA = new Client(
      { name: 'replicas-e2e-sampling', version: '1.0.0' },
      { capabilities: { sampling: {} } },
    );
    await onA.connect(new StreamableHTTPClientTransport(new URL(`${a.baseUrl}/mcp`)));
    const sessionId = (onA.transport as StreamableHTTPClientTransport).sessionId!;
    const onB = new Client(
      { name: 'replicas-e2e-sampling', version: '1.0.0' },
      { capabilities: { sampling: {} } },
    );
    onB.setRequestHandler(CreateMessageRequestSchema, () => ({
      model: 'test-model',
      role: 'assistant',
      content: { type: 'text', text: 'sampled on the other replica' },
    }));
    // A transport that already has a session id makes the SDK client skip the handshake.
    await onB.connect(
      new StreamableHTTPClientTransport(new URL(`${b.baseUrl}/mcp`), { sessionId }),
    );
    try {
      const result = (await onB.callTool({
        name: 'execute_mcp_tool',
        arguments: {
          tool_path: 'everything-trigger-sampling-request',
          arguments: { prompt: 'hi', maxTokens: 5 },
        },
      })) as CallToolResult;
      expect(text(result)).toContain('sampled on the other replica');
      expect(result.isError).toBeFalsy();
    } finally {
      await onA.close();
      await onB.close();
    }
  }, 20_000);

  it('answers 404 for a forged id and for an id signed with another secret', async () => {
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const [body, signature] = sessionId.split('.');
    const forged = `${body}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect((await post(a.baseUrl, forged, ping)).status).toBe(404);
    expect((await post(stranger.baseUrl, sessionId, ping)).status).toBe(404);
    expect((await post(a.baseUrl, sessionId, ping)).status).toBe(200);
  });

  it('does not rebuild a session the client deleted on that replica', async () => {
    const other = new Client({ name: 'replicas-e2e-2', version: '1.0.0' });
    await other.connect(new StreamableHTTPClientTransport(new URL(`${a.baseUrl}/mcp`)));
    const transport = other.transport as StreamableHTTPClientTransport;
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await other.close();
    expect((await post(a.baseUrl, sessionId, ping)).status).toBe(404);
  });
});
