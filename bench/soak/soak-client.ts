// One soak client process (bench/soak/soak.bench.ts starts several, one after another): mixed
// traffic against the satellite at SOAK_BASE until SOAK_CLIENT_SECONDS have passed, then a
// one-line JSON summary on stdout and exit. Its connections close with it, so whatever the
// satellite still holds afterwards is the satellite's own.
import { connect } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';

const base = process.env.SOAK_BASE ?? '';
const until = Date.now() + Number(process.env.SOAK_CLIENT_SECONDS ?? 30) * 1000;
const paceMs = Number(process.env.SOAK_PACE_MS ?? 20);

const statuses: Record<string, number> = {};
const scenarios: Record<string, number> = {};
const errors: Record<string, number> = {};
const notes: Record<string, number> = {};
const bump = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];
const JSON_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};
const BIG = Buffer.alloc(4 * 1024 * 1024 + 512 * 1024, 'a');

/** fetch that records the status (a 5xx is what the soak must never see). */
async function http(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${base}${path}`, {
    ...init,
    signal: init.signal ?? AbortSignal.timeout(60_000),
  });
  bump(statuses, String(res.status));
  return res;
}

const NO_RETRY = {
  maxRetries: 0,
  initialReconnectionDelay: 1000,
  maxReconnectionDelay: 1000,
  reconnectionDelayGrowFactor: 1,
};

async function streamable(path: string): Promise<{ client: Client; end: () => Promise<void> }> {
  const client = new Client({ name: 'soak', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}${path}`), {
    reconnectionOptions: NO_RETRY,
  });
  await client.connect(transport);
  bump(statuses, '200');
  return {
    client,
    end: async () => {
      await transport.terminateSession();
      await client.close();
    },
  };
}

const execute = (
  client: Client,
  toolPath: string,
  args: Record<string, unknown>,
  signal?: AbortSignal,
) =>
  client.request(
    {
      method: 'tools/call',
      params: { name: 'execute_mcp_tool', arguments: { tool_path: toolPath, arguments: args } },
    },
    CallToolResultSchema,
    { timeout: 60_000, ...(signal ? { signal } : {}) },
  );

/** /mcp: discover, then a few calls through execute_mcp_tool, then DELETE. */
async function meta(): Promise<void> {
  const { client, end } = await streamable('/mcp');
  try {
    await client.listTools();
    await client.callTool({
      name: 'discover_mcp_tools',
      arguments: { query: pick(['echo a message', 'add two numbers', 'knowledge graph', '*']) },
    });
    for (let i = Math.floor(Math.random() * 4); i >= 0; i--) {
      const call = pick([
        () => execute(client, 'everything-echo', { message: `soak ${i}` }),
        () => execute(client, 'everything-get-sum', { a: i, b: 2 }),
        () => execute(client, 'memory-read_graph', {}),
        () => execute(client, 'memory-search_nodes', { query: 'soak' }),
        () =>
          execute(client, 'memory-create_entities', {
            entities: [{ name: `soak-${i}`, entityType: 'soak', observations: ['x'] }],
          }),
      ]);
      const result = await call();
      if (result.isError) bump(notes, 'tool returned isError');
    }
  } finally {
    await end();
  }
}

/** /i/{slug}/mcp: the server's own tools, directly. */
async function direct(): Promise<void> {
  const slug = pick(['everything', 'memory']);
  const { client, end } = await streamable(`/i/${slug}/mcp`);
  try {
    await client.listTools();
    if (slug === 'everything')
      await client.callTool({ name: 'echo', arguments: { message: 'direct' } });
    else await client.callTool({ name: 'read_graph', arguments: {} });
  } finally {
    await end();
  }
}

/** A long-running call cancelled by the client (notifications/cancelled), then DELETE. */
async function cancel(): Promise<void> {
  const { client, end } = await streamable('/mcp');
  try {
    await execute(
      client,
      'everything-trigger-long-running-operation',
      { duration: 3, steps: 3 },
      AbortSignal.timeout(200 + Math.floor(Math.random() * 800)),
    ).catch((err: Error) => {
      if (!/abort|cancel/i.test(`${err.name} ${err.message}`)) throw err;
      bump(notes, 'cancelled');
    });
  } finally {
    await end();
  }
}

/** The raw `initialize` a client's first POST carries. */
function initializeBody(clientName: string): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: clientName, version: '1' },
    },
  });
}

/** Raw Streamable HTTP: a session, GET streams opened, read and dropped, then DELETE. */
async function streams(): Promise<void> {
  const init = await http('/mcp', {
    method: 'POST',
    headers: JSON_HEADERS,
    body: initializeBody('soak-raw'),
  });
  const id = init.headers.get('mcp-session-id');
  await init.text();
  if (!id) throw new Error(`initialize answered ${init.status} without a session`);
  const headers = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' };
  await (
    await http('/mcp', {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    })
  ).text();
  for (let n = 1 + Math.floor(Math.random() * 3); n > 0; n--) {
    // A dropped stream is released once the satellite sees the connection close: until then
    // a new one on the same session is refused (409). It must not stay refused.
    let opened = false;
    const giveUp = Date.now() + 10_000;
    while (!opened && Date.now() < giveUp) {
      const controller = new AbortController();
      const res = await http('/mcp', {
        headers: { ...headers, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (res.status === 200) {
        opened = true;
        const reader = res.body!.getReader();
        const hold = sleep(100 + Math.random() * 1500).then(() => controller.abort());
        await reader.read().catch(() => undefined);
        await hold;
      } else {
        await res.text();
        bump(notes, `stream refused ${res.status}, retried`);
        await sleep(40);
      }
    }
    if (!opened) throw new Error('a GET stream stayed refused 10 s after the last was dropped');
  }
  await (await http('/mcp', { method: 'DELETE', headers })).text();
}

/** The legacy HTTP+SSE transport: GET /sse, POST /message, then the stream is dropped. */
async function legacy(): Promise<void> {
  const client = new Client({ name: 'soak-sse', version: '1.0.0' });
  await client.connect(new SSEClientTransport(new URL(`${base}/sse`)));
  bump(statuses, '200');
  try {
    await client.listTools();
    await execute(client, 'everything-echo', { message: 'legacy' });
  } finally {
    await client.close();
  }
}

/** A session opened and left: the idle sweep must close it. */
async function abandon(): Promise<void> {
  const res = await http('/mcp', {
    method: 'POST',
    headers: JSON_HEADERS,
    body: initializeBody('soak-abandon'),
  });
  await res.text();
}

/** Status, health, metrics and debug routes. */
async function status(): Promise<void> {
  for (const path of ['/', '/health/live', '/health/ready', '/metrics', '/api/status/debug'])
    await (await http(path)).text();
}

/** What a careless or hostile client sends now and then. */
async function hostile(): Promise<void> {
  const kind = pick(['bad-json', 'oversized', 'unknown-session', 'raw', 'cut-body']);
  if (kind === 'bad-json')
    await (
      await http('/mcp', { method: 'POST', headers: JSON_HEADERS, body: '{"jsonrpc":' })
    ).text();
  else if (kind === 'oversized') {
    // 413 at once: the satellite may close the connection while the client is still sending.
    const res = await http('/mcp', { method: 'POST', headers: JSON_HEADERS, body: BIG }).catch(
      (err: Error & { cause?: { code?: string } }) => {
        if (!['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(err.cause?.code ?? '')) throw err;
        bump(notes, `oversized: connection closed while sending (${err.cause?.code})`);
      },
    );
    await res?.text();
  } else if (kind === 'unknown-session')
    await (
      await http('/mcp', {
        method: 'POST',
        headers: { ...JSON_HEADERS, 'mcp-session-id': 'no-such-session' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      })
    ).text();
  else {
    const { port } = new URL(base);
    const data =
      kind === 'raw'
        ? 'GARBAGE / HTTP/1.1\r\n\r\n'
        : 'POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"js';
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(data);
        // The raw one waits for the 400; the cut body goes away in the middle of its request.
        setTimeout(() => socket.destroy(), kind === 'raw' ? 300 : 50);
      });
      socket.on('data', (d: Buffer) => {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1];
        if (status) bump(statuses, status);
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
  }
}

const MIX: ReadonlyArray<[string, () => Promise<void>, number]> = [
  ['meta', meta, 30],
  ['direct', direct, 15],
  ['streams', streams, 15],
  ['legacy', legacy, 10],
  ['status', status, 10],
  ['hostile', hostile, 10],
  ['cancel', cancel, 5],
  ['abandon', abandon, 5],
];
const total = MIX.reduce((sum, [, , w]) => sum + w, 0);

while (Date.now() < until) {
  let roll = Math.random() * total;
  const [name, run] = MIX.find(([, , w]) => (roll -= w) < 0) ?? MIX[0];
  bump(scenarios, name);
  try {
    await run();
  } catch (err) {
    const { message, cause } = err as Error & { cause?: { code?: string } };
    bump(errors, `${name}: ${message.slice(0, 120)}${cause?.code ? ` (${cause.code})` : ''}`);
  }
  await sleep(Math.random() * paceMs * 2);
}
process.stdout.write(`${JSON.stringify({ statuses, scenarios, errors, notes })}\n`);
process.exit(0);
