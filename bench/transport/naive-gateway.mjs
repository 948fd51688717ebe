// The naive gateway of `npm run bench:transport`: what an MCP gateway is with the SDK alone. The
// SDK's own Streamable HTTP server transport (one SDK Server per session, SSE responses), the two
// meta-tools, and one shared SDK client to the upstream that execute_mcp_tool forwards to (with
// progress and cancellation). No auth, no quotas, no audit, no metrics, no resumability.
//   UPSTREAM_URL=http://127.0.0.1:<port>/mcp SLUG=everything node bench/transport/naive-gateway.mjs
//   UPSTREAM_STDIO='["<script>","stdio"]' SLUG=everything node bench/transport/naive-gateway.mjs
// (the second spawns `node <script> stdio` with the SDK's StdioClientTransport; prints
// `listening <port>`; PORT, default 0)
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  isInitializeRequest,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const SLUG = process.env.SLUG ?? 'everything';
const upstream = new Client({ name: 'naive-gateway', version: '1.0.0' });
await upstream.connect(
  process.env.UPSTREAM_STDIO
    ? new StdioClientTransport({
        command: process.execPath,
        args: JSON.parse(process.env.UPSTREAM_STDIO),
        stderr: 'ignore',
      })
    : new StreamableHTTPClientTransport(new URL(process.env.UPSTREAM_URL)),
);
const { tools } = await upstream.listTools();

const META_TOOLS = [
  {
    name: 'discover_mcp_tools',
    description: 'Find tools by a short description of the task',
    inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  },
  {
    name: 'execute_mcp_tool',
    description: 'Call a tool by the tool_path discover_mcp_tools returned',
    inputSchema: {
      type: 'object',
      properties: { tool_path: { type: 'string' }, arguments: { type: 'object' } },
      required: ['tool_path', 'arguments'],
    },
  },
];

const text = (t, isError = false) => ({
  content: [{ type: 'text', text: t }],
  ...(isError ? { isError } : {}),
});

function createGatewayServer() {
  const server = new Server(
    { name: 'naive-gateway', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: META_TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const args = req.params.arguments ?? {};
    if (req.params.name === 'discover_mcp_tools') {
      const q = String(args.query ?? '').toLowerCase();
      const hits = tools.filter((t) =>
        `${t.name} ${t.description ?? ''}`.toLowerCase().includes(q),
      );
      return text(
        JSON.stringify(
          hits.map((t) => ({ tool_path: `${SLUG}-${t.name}`, input_schema: t.inputSchema })),
        ),
      );
    }
    if (req.params.name !== 'execute_mcp_tool')
      return text(`unknown tool ${req.params.name}`, true);
    const path = String(args.tool_path ?? '');
    if (!path.startsWith(`${SLUG}-`)) return text(`unknown tool path ${path}`, true);
    const token = req.params._meta?.progressToken;
    try {
      return await upstream.request(
        {
          method: 'tools/call',
          params: { name: path.slice(SLUG.length + 1), arguments: args.arguments ?? {} },
        },
        CallToolResultSchema,
        {
          signal: extra.signal,
          ...(token !== undefined
            ? {
                onprogress: (p) =>
                  void extra
                    .sendNotification({
                      method: 'notifications/progress',
                      params: { ...p, progressToken: token },
                    })
                    .catch(() => undefined),
              }
            : {}),
        },
      );
    } catch (err) {
      return text(`call failed: ${err.message}`, true);
    }
  });
  return server;
}

const sessions = new Map(); // session id → transport

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

const http = createServer(async (req, res) => {
  try {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') return res.writeHead(404).end();
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      if (typeof id === 'string') return res.writeHead(404).end();
      if (req.method !== 'POST' || !isInitializeRequest(body)) return res.writeHead(400).end();
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      transport.onclose = () => sessions.delete(transport.sessionId);
      await createGatewayServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  } catch (err) {
    if (!res.headersSent) res.writeHead(500);
    res.end(String(err));
  }
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${http.address().port}\n`);
});
const stop = () => {
  http.closeAllConnections();
  http.close(() => upstream.close().finally(() => process.exit(0)));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
