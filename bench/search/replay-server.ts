// A stdio MCP server that replays one server of a benchmark catalog:
//   node --experimental-strip-types bench/search/replay-server.ts <catalog.json> <server slug>
// tools/list answers that server's tool definitions exactly as recorded; tools/call answers a
// short text naming the tool and its arguments, so a client can check which tool it reached.
import { readFileSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';

const [catalogPath, slug] = process.argv.slice(2);
if (!catalogPath || !slug) {
  process.stderr.write('usage: replay-server.ts <catalog.json> <server slug>\n');
  process.exit(64);
}
const catalog = JSON.parse(readFileSync(catalogPath, 'utf8')) as Record<string, unknown>;
const tools = catalog[slug];
if (!Array.isArray(tools)) {
  process.stderr.write(`replay-server: no server "${slug}" in ${catalogPath}\n`);
  process.exit(65);
}

const server = new Server(
  { name: `replay-${slug}`, version: '1.0.0' },
  { capabilities: { tools: {} } },
);
const listed = tools as Tool[];
server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }));
server.setRequestHandler(CallToolRequestSchema, (request) => {
  const { name, arguments: args = {} } = request.params;
  if (!listed.some((t) => t.name === name)) {
    return { content: [{ type: 'text', text: `unknown tool ${name}` }], isError: true };
  }
  return { content: [{ type: 'text', text: `replayed ${slug}/${name} ${JSON.stringify(args)}` }] };
});
await server.connect(new StdioServerTransport());
