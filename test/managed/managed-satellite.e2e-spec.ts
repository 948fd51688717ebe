// The whole satellite in managed mode against the fake backend (which speaks the contract
// strictly): it registers, takes its servers from the backend (a stdio server for team A, an HTTP
// server for team B), and lets in only clients whose tokens the backend vouches for (on /mcp and
// on the REST tool routes), each seeing and calling only its own team's tools.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createApp } from '../../src/app.factory.js';
import { BackendConnectionService } from '../../src/backend/backend-connection.service.js';
import { loadSatelliteConfig } from '../../src/config/config.loader.js';
import { UsageService } from '../../src/usage/usage.service.js';
import { FakeBackend } from '../fake-backend/fake-backend.js';
import { initializeRequest, postMcp } from '../support/mcp-http.js';
import { waitFor } from '../support/satellite.js';
import { MEMORY, type HttpPeer, startEverythingHttp } from '../support/upstreams.js';

const SATELLITE_URL = 'https://satellite.example.com';
const REGISTRATION = 'deploystack_satellite_global_managed_e2e';

/**
 * A Streamable HTTP MCP server (stateless, SDK) that records the Authorization header of every
 * request it gets: the client's token must never be among them.
 */
async function startRecordingUpstream(): Promise<{
  url: string;
  authorizations: (string | undefined)[];
  stop(): Promise<void>;
}> {
  const authorizations: (string | undefined)[] = [];
  const http: HttpServer = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    const server = new McpServer({ name: 'recorder', version: '1.0.0' });
    server.registerTool('ping_upstream', { description: 'Answers pong' }, () => ({
      content: [{ type: 'text', text: 'pong' }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    authorizations,
    stop: () => {
      http.closeAllConnections();
      return new Promise((r) => http.close(() => r()));
    },
  };
}

interface Discovered {
  tools: { tool_path: string; server: string }[];
  total_found: number;
}

describe('managed satellite (fake backend, real upstreams, real HTTP)', () => {
  let backend: FakeBackend;
  let everything: HttpPeer;
  let recorder: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let app: NestFastifyApplication;
  let base: string;
  const clients: Client[] = [];

  const introspection = (sub: string, team: string, scope: string) => ({
    active: true,
    scope,
    client_id: 'e2e-client',
    username: `${sub}@example.com`,
    sub,
    aud: `${SATELLITE_URL}/mcp`,
    iss: backend.url,
    exp: Math.floor(Date.now() / 1000) + 3600,
    iat: Math.floor(Date.now() / 1000),
    team_id: team,
    team_name: team,
    team_role: 'team_user',
    team_permissions: [],
  });

  const connect = async (token: string): Promise<Client> => {
    const client = new Client({ name: 'managed-e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  };

  const call = async (client: Client, name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;

  const discover = async (client: Client): Promise<Discovered> =>
    (await call(client, 'discover_mcp_tools', { query: '*', limit: 50 }))
      .structuredContent as unknown as Discovered;

  /** A raw JSON-RPC POST to /mcp, to see status codes and headers the SDK client hides. */
  const post = (body: unknown, headers: Record<string, string>) =>
    postMcp(`${base}/mcp`, body, headers);
  const initialize = initializeRequest('raw');

  beforeAll(async () => {
    backend = await FakeBackend.start();
    everything = await startEverythingHttp('streamableHttp');
    recorder = await startRecordingUpstream();
    backend.addRegistrationToken(REGISTRATION);
    backend.setPolling({ polling_mode: 'immediate', next_poll_interval: 1 });
    backend.setConfig({
      mcp_servers: {
        'team-a-memory-1a2b': {
          installation_id: 'inst-memory',
          installation_name: 'team-a-memory-1a2b',
          team_id: 'team-a',
          team_slug: 'alpha',
          server_name: 'Memory',
          server_slug: 'memory',
          transport_type: 'stdio',
          enabled: true,
          command: process.execPath,
          args: [MEMORY],
          env: { MEMORY_FILE_PATH: join(mkdtempSync(join(tmpdir(), 'mem-')), 'memory.jsonl') },
        },
        'team-a-recorder-5e6f': {
          installation_id: 'inst-recorder',
          installation_name: 'team-a-recorder-5e6f',
          team_id: 'team-a',
          team_slug: 'alpha',
          server_name: 'Recorder',
          server_slug: 'recorder',
          transport_type: 'http',
          enabled: true,
          url: recorder.url,
          headers: { Authorization: 'Bearer upstream-credential' },
        },
        'team-b-everything-3c4d': {
          installation_id: 'inst-everything',
          installation_name: 'team-b-everything-3c4d',
          team_id: 'team-b',
          team_slug: 'beta',
          server_name: 'Everything',
          server_slug: 'everything',
          transport_type: 'http',
          enabled: true,
          url: everything.url,
          headers: {},
        },
      },
    });
    backend.setIntrospection(
      'token-a',
      introspection('user-a', 'team-a', 'mcp:read mcp:tools:execute'),
    );
    backend.setIntrospection(
      'token-b',
      introspection('user-b', 'team-b', 'mcp:read mcp:tools:execute'),
    );
    backend.setIntrospection('token-a-read', introspection('user-c', 'team-a', 'mcp:read'));
    backend.setIntrospection('token-dead', { active: false });

    const dir = mkdtempSync(join(tmpdir(), 'satellite-managed-e2e-'));
    const config = loadSatelliteConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
      PORT: '0',
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
      DEPLOYSTACK_BACKEND_URL: backend.url,
      DEPLOYSTACK_SATELLITE_NAME: 'managed-e2e-01',
      DEPLOYSTACK_REGISTRATION_TOKEN: REGISTRATION,
      DEPLOYSTACK_SATELLITE_URL: SATELLITE_URL,
      DEPLOYSTACK_DISCOVERY_TIMEOUT_MS: '20000',
    });
    app = await createApp(config);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${port}`;
    await waitFor(
      'readiness (backend reached, configuration applied)',
      async () => (await fetch(`${base}/health/ready`)).status === 200 || undefined,
      30_000,
    );
    await waitFor(
      'tools of both servers discovered',
      async () => {
        const debug = (await (await fetch(`${base}/api/status/debug`)).json()) as {
          tools: number;
        };
        return debug.tools > 10 || undefined;
      },
      30_000,
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await app?.close();
    await everything?.stop();
    await recorder?.stop();
    await backend?.stop();
  });

  it('registered, applied the backend configuration, and reports both servers online', async () => {
    expect(backend.registrations).toHaveLength(1);
    const status = (await (await fetch(`${base}/api/status/backend`)).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({ mode: 'managed', reachable: true, state: 'connected' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^satellite_backend_connected 1$/m);
    expect(metrics).toMatch(/^satellite_event_queue_depth \d+$/m);
    expect(metrics).toMatch(/^satellite_events_dropped_total 0$/m);
    expect(metrics).toMatch(/^satellite_backend_poll_consecutive_failures 0$/m);
    await waitFor(
      'discovered and online events at the backend',
      () => {
        const discovered = new Set(
          backend.events
            .filter((e) => e.type === 'mcp.tools.discovered')
            .map((e) => e.data.installation_id),
        );
        const online = new Set(
          backend.events
            .filter((e) => e.type === 'mcp.server.status_changed' && e.data.status === 'online')
            .map((e) => e.data.installation_id),
        );
        return (
          (discovered.has('inst-memory') &&
            discovered.has('inst-everything') &&
            online.has('inst-memory') &&
            online.has('inst-everything')) ||
          undefined
        );
      },
      15_000,
    );
    // Events name the installation as the backend does, not by its slug.
    expect(
      backend.events.find(
        (e) => e.type === 'mcp.tools.discovered' && e.data.installation_id === 'inst-memory',
      )?.data,
    ).toMatchObject({ installation_name: 'team-a-memory-1a2b', server_slug: 'memory' });
    // The next heartbeat reports each server instance's real state (the job would send it
    // within 30 s; the test sends it now).
    await app.get(BackendConnectionService).heartbeat();
    const beat = backend.heartbeats.at(-1)!.body as {
      status: string;
      processes: { id: string; status: string; health_status: string }[];
    };
    expect(beat.status).toBe('active');
    expect(beat.processes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'inst-memory', status: 'running', health_status: 'healthy' }),
        expect.objectContaining({
          id: 'inst-everything',
          status: 'running',
          health_status: 'healthy',
        }),
      ]),
    );
    expect(backend.rejections).toEqual([]);
  });

  it('refuses a request without a token with 401 and the resource metadata challenge', async () => {
    const res = await post(initialize, {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${SATELLITE_URL}/.well-known/oauth-protected-resource/mcp"`,
    );
  });

  it('refuses a token the backend does not vouch for with 401 invalid_token', async () => {
    const res = await post(initialize, { authorization: 'Bearer token-dead' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it("shows each team only its own servers' tools, and refuses the other team's", async () => {
    const a = await connect('token-a');
    const b = await connect('token-b');
    const seenByA = await discover(a);
    const seenByB = await discover(b);
    expect(seenByA.total_found).toBeGreaterThan(0);
    expect(new Set(seenByA.tools.map((t) => t.server))).toEqual(new Set(['memory', 'recorder']));
    expect(new Set(seenByB.tools.map((t) => t.server))).toEqual(new Set(['everything']));

    const created = await call(a, 'execute_mcp_tool', {
      tool_path: 'memory-create_entities',
      arguments: { entities: [{ name: 'satellite', entityType: 'thing', observations: ['e2e'] }] },
    });
    expect(created.isError).toBeFalsy();
    const echoed = await call(b, 'execute_mcp_tool', {
      tool_path: 'everything-echo',
      arguments: { message: 'team b' },
    });
    expect(echoed.isError).toBeFalsy();
    expect(JSON.stringify(echoed.content)).toContain('team b');

    const crossed = await call(a, 'execute_mcp_tool', {
      tool_path: 'everything-echo',
      arguments: { message: 'not yours' },
    });
    expect(crossed.isError).toBe(true);
    expect(JSON.stringify(crossed.content)).not.toContain('not yours');
  });

  it("never sends the client's token upstream, only the server's configured credentials", async () => {
    const a = await connect('token-a');
    const pong = await call(a, 'execute_mcp_tool', {
      tool_path: 'recorder-ping_upstream',
      arguments: {},
    });
    expect(JSON.stringify(pong.content)).toContain('pong');
    expect(recorder.authorizations.length).toBeGreaterThan(0);
    expect(new Set(recorder.authorizations)).toEqual(new Set(['Bearer upstream-credential']));
  });

  it('reports the calls to the backend as mcp.request.logs (the audit record, with its user)', async () => {
    const logged = await waitFor(
      'request logs at the backend',
      () =>
        backend.events.find(
          (e) =>
            e.type === 'mcp.request.logs' &&
            e.data.installation_id === 'inst-memory' &&
            JSON.stringify(e.data).includes('create_entities'),
        ),
      15_000,
    );
    expect(logged.data).toMatchObject({
      team_id: 'team-a',
      requests: [{ user_id: 'user-a', tool_name: 'create_entities', success: true }],
    });
  });

  it('reports mcp.tool.executed per call and mcp.client.activity per user, team and OAuth client', async () => {
    const executed = await waitFor(
      'mcp.tool.executed at the backend',
      () =>
        backend.events.find(
          (e) => e.type === 'mcp.tool.executed' && e.data.tool_name === 'memory-create_entities',
        ),
      15_000,
    );
    expect(executed).toMatchObject({
      stored: true,
      data: { server_id: 'inst-memory', team_id: 'team-a', success: true },
    });
    // The job reports every 30 s; here the report is driven by hand.
    app.get(UsageService).reportActivity();
    const activity = await waitFor(
      'mcp.client.activity at the backend',
      () =>
        backend.events.find((e) => e.type === 'mcp.client.activity' && e.data.user_id === 'user-a'),
      15_000,
    );
    expect(activity).toMatchObject({
      stored: true,
      data: { team_id: 'team-a', oauth_client_id: 'e2e-client', client_name: 'managed-e2e' },
    });
    expect(activity.data.tool_call_count).toBeGreaterThan(0);
  });

  it('refuses a tool call without mcp:tools:execute with 403 insufficient_scope', async () => {
    const reader = await connect('token-a-read');
    expect((await discover(reader)).total_found).toBeGreaterThan(0);
    const sessionId = (reader.transport as StreamableHTTPClientTransport).sessionId!;
    const res = await post(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: {
          name: 'execute_mcp_tool',
          arguments: { tool_path: 'memory-read_graph', arguments: {} },
        },
      },
      {
        authorization: 'Bearer token-a-read',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
    );
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/error="insufficient_scope"/);
    expect(challenge).toMatch(/scope="mcp:tools:execute"/);
  });

  it('guards the REST tool routes with the backend tokens, scopes and teams, as /mcp', async () => {
    const rest = (path: string, token?: string, body?: unknown) =>
      fetch(`${base}/api/tools${path}`, {
        ...(body !== undefined ? { method: 'POST', body: JSON.stringify(body) } : {}),
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      });
    const anonymous = await rest('?query=*');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${SATELLITE_URL}/.well-known/oauth-protected-resource/mcp"`,
    );
    const found = (await (await rest('?query=*&limit=50', 'token-a')).json()) as {
      tools: { server: string }[];
    };
    expect(new Set(found.tools.map((t) => t.server))).toEqual(new Set(['memory', 'recorder']));
    const graph = await rest('/memory-read_graph/call', 'token-a', {});
    expect(graph.status).toBe(200);
    expect(((await graph.json()) as { isError?: boolean }).isError).toBeFalsy();
    expect((await rest('/everything-echo', 'token-a')).status).toBe(404);
    expect((await rest('/everything-echo/call', 'token-a', { message: 'x' })).status).toBe(404);
    expect((await rest('/memory-read_graph', 'token-a-read')).status).toBe(200);
    const refused = await rest('/memory-read_graph/call', 'token-a-read', {});
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(/scope="mcp:tools:execute"/);
  });

  it("answers 404 when a session is used with another principal's token", async () => {
    const a = await connect('token-a');
    const sessionId = (a.transport as StreamableHTTPClientTransport).sessionId!;
    const res = await post(
      { jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} },
      {
        authorization: 'Bearer token-b',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
    );
    expect(res.status).toBe(404);
    // The owner still uses it.
    expect((await a.listTools()).tools).toHaveLength(2);
  });

  it('answers 503 with Retry-After, not 401, while the backend cannot check a token', async () => {
    backend.setIntrospection('token-new', introspection('user-d', 'team-a', 'mcp:read'));
    backend.fail('introspect', { kind: 'status', status: 503 });
    try {
      const res = await post(initialize, { authorization: 'Bearer token-new' });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      backend.clearFailures();
    }
  });

  it('runs a kill command from the backend: the server stops and its tools go away', async () => {
    const id = backend.queueCommand({
      command_type: 'kill',
      payload: { installation_id: 'inst-everything' },
      priority: 'immediate',
    });
    const result = await waitFor(
      'the kill result',
      () => backend.commandResults.find((r) => r.command_id === id),
      15_000,
    );
    expect(result).toMatchObject({ status: 'completed' });
    const b = await connect('token-b');
    expect((await discover(b)).total_found).toBe(0);
  });
});

describe('managed satellite whose backend is down at start', () => {
  it('is live but not ready until the backend has been reached, then becomes ready', async () => {
    const backend = await FakeBackend.start();
    backend.addRegistrationToken(REGISTRATION);
    backend.setPolling({ polling_mode: 'immediate', next_poll_interval: 1 });
    backend.fail('*', { kind: 'status', status: 503 });
    const dir = mkdtempSync(join(tmpdir(), 'satellite-managed-down-'));
    const app = await createApp(
      loadSatelliteConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
        PORT: '0',
        DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
        DEPLOYSTACK_SANDBOX: 'none',
        DEPLOYSTACK_BACKEND_URL: backend.url,
        DEPLOYSTACK_SATELLITE_NAME: 'managed-e2e-02',
        DEPLOYSTACK_REGISTRATION_TOKEN: REGISTRATION,
      }),
    );
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.getHttpServer().address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      await waitFor('a failed attempt', () => backend.calls('register') > 0 || undefined, 10_000);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const notReady = await fetch(`${base}/health/ready`);
      expect(notReady.status).toBe(503);
      expect(JSON.stringify(await notReady.json())).toMatch(/backend/);
      expect(await (await fetch(`${base}/api/status/backend`)).json()).toMatchObject({
        mode: 'managed',
        reachable: false,
      });
      backend.clearFailures();
      await waitFor(
        'readiness after the backend came back',
        async () => (await fetch(`${base}/health/ready`)).status === 200 || undefined,
        30_000,
      );
    } finally {
      await app.close();
      await backend.stop();
    }
  }, 60_000);
});
