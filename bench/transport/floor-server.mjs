// The floor of `npm run bench:transport`: the least an MCP endpoint can do for a tools/call over
// Streamable HTTP. Plain Fastify, no SDK, no upstream: `initialize` gets a session id, `tools/call`
// an echo, as one JSON response each (no SSE). Whatever a gateway costs on top shows against it.
//   node bench/transport/floor-server.mjs      (prints `listening <port>`; PORT, default 0)
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const sessions = new Set();

const result = (id, value) => ({ jsonrpc: '2.0', id, result: value });

app.post('/mcp', async (req, reply) => {
  const msg = req.body;
  if (!msg || typeof msg !== 'object' || Array.isArray(msg))
    return reply.code(400).send({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'one message per request' },
    });
  if (msg.method === 'initialize') {
    const id = randomUUID();
    sessions.add(id);
    reply.header('mcp-session-id', id);
    return result(msg.id, {
      protocolVersion: msg.params?.protocolVersion ?? '2025-11-25',
      capabilities: { tools: {} },
      serverInfo: { name: 'floor', version: '1.0.0' },
    });
  }
  if (!sessions.has(req.headers['mcp-session-id']))
    return reply
      .code(404)
      .send({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
  if (msg.id === undefined) return reply.code(202).send(); // a notification
  switch (msg.method) {
    case 'tools/call':
      return result(msg.id, {
        content: [{ type: 'text', text: `Echo: ${msg.params?.arguments?.message ?? ''}` }],
      });
    case 'tools/list':
      return result(msg.id, {
        tools: [
          {
            name: 'echo',
            inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
          },
        ],
      });
    case 'ping':
      return result(msg.id, {});
    default:
      return { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } };
  }
});
// No standalone SSE stream (the SDK client accepts 405); DELETE ends a session.
app.get('/mcp', (_req, reply) => reply.code(405).send());
app.delete('/mcp', (req, reply) => {
  sessions.delete(req.headers['mcp-session-id']);
  return reply.code(200).send();
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`listening ${app.server.address().port}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
