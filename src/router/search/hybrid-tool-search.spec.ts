// The semantic stage against a fake OpenAI-compatible /embeddings endpoint on loopback: it fuses,
// caches tool vectors, keeps filters, and falls back to the lexical ranking on any failure (one
// notice per outage, retried after a pause).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../../test/support/manual-clock.js';
import { EmbeddingClient } from './embedding-client.js';
import { EmbeddingError } from './embedding-provider.js';
import { HybridToolSearch } from './hybrid-tool-search.js';
import type { IndexedTool } from './indexed-tool.js';
import { ToolSearchIndex } from './tool-search-index.js';

/** The fake model: one dimension per topic; a text's vector counts its words of each topic. */
const TOPICS: string[][] = [
  ['weather', 'forecast', 'rain', 'umbrella', 'sunny'],
  ['email', 'mail', 'inbox', 'letter'],
  ['invoice', 'payment', 'billing', 'owe'],
];
function fakeEmbedding(text: string): number[] {
  const words = text.toLowerCase().split(/[^a-z]+/);
  return TOPICS.map((topic) => words.filter((w) => topic.includes(w)).length + 0.01);
}

interface Recorded {
  authorization: string | undefined;
  body: { model: string; input: string[] };
}

let server: Server;
let url: string;
let requests: Recorded[] = [];
let behaviour: 'ok' | 'fail' | 'slow' = 'ok';

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const body = JSON.parse(raw) as Recorded['body'];
      requests.push({ authorization: req.headers.authorization, body });
      if (behaviour === 'fail') {
        res.writeHead(500).end('{"error":"boom"}');
        return;
      }
      const answer = () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            object: 'list',
            // Reversed on purpose: the client must order by `index`.
            data: body.input.map((t, index) => ({ index, embedding: fakeEmbedding(t) })).reverse(),
          }),
        );
      if (behaviour === 'slow') setTimeout(answer, 1000).unref();
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  requests = [];
  behaviour = 'ok';
});

function tool(name: string, description: string, team = 'a'): IndexedTool {
  return {
    path: `srv-${name}`,
    serverId: `srv-${team}`,
    serverSlug: 'srv',
    team,
    transport: 'stdio',
    name,
    description,
    inputSchema: { type: 'object' },
  };
}

function buildIndex(): ToolSearchIndex {
  const index = new ToolSearchIndex();
  index.replaceServer('srv-a', [
    tool('get_forecast', 'Weather forecast for a city'),
    tool('send_email', 'Send an email to someone'),
    tool('list_invoices', 'List invoices of the billing account'),
  ]);
  index.replaceServer('srv-b', [tool('get_rain_radar', 'Rain radar image for a region', 'b')]);
  return index;
}

async function hybridOf(
  options: Partial<ConstructorParameters<typeof HybridToolSearch>[0]> & { apiKey?: string } = {},
): Promise<HybridToolSearch> {
  const { apiKey, ...rest } = options;
  const hybrid = new HybridToolSearch({
    index: buildIndex(),
    embeddings: new EmbeddingClient({ url, model: 'fake-embed', ...(apiKey ? { apiKey } : {}) }),
    ...rest,
  });
  await hybrid.refresh();
  return hybrid;
}

describe('HybridToolSearch', () => {
  it('finds by meaning what no word of the query matches, and fuses it with the lexical ranking', async () => {
    const index = buildIndex();
    const query = 'do I need an umbrella tomorrow';
    expect(index.search({ query, limit: 5 }).hits.map((h) => h.tool.path)).not.toContain(
      'srv-get_forecast',
    );
    const hybrid = await hybridOf({ index });
    const { hits } = await hybrid.search({ query, limit: 2, visible: (t) => t.team === 'a' });
    expect(hits[0].tool.path).toBe('srv-get_forecast');
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
  });

  it('sends model, input and bearer key; embeds tools once, in the background, and each query', async () => {
    const hybrid = await hybridOf({ apiKey: 'sk-test' });
    expect(hybrid.embedded).toBe(4);
    await hybrid.search({ query: 'pay what I owe', limit: 3 });
    await hybrid.search({ query: 'check my inbox', limit: 3 });
    await hybrid.refresh();
    expect(
      requests.every((r) => r.authorization === 'Bearer sk-test' && r.body.model === 'fake-embed'),
    ).toBe(true);
    const embeddedTexts = requests.flatMap((r) => r.body.input);
    // 4 tools once, plus one query per search.
    expect(embeddedTexts).toHaveLength(6);
    expect(embeddedTexts.filter((t) => t.includes('get forecast'))).toHaveLength(1);
  });

  it('embeds only new or changed tools when the catalog changes, and forgets removed ones', async () => {
    const index = buildIndex();
    const hybrid = await hybridOf({ index });
    requests = [];
    index.replaceServer('srv-b', [tool('get_snow_report', 'Snow depth report', 'b')]);
    await hybrid.refresh();
    expect(requests.flatMap((r) => r.body.input)).toEqual([
      expect.stringContaining('get snow report'),
    ]);
    expect(hybrid.embedded).toBe(4);
  });

  it('never ranks a tool the caller may not see', async () => {
    const hybrid = await hybridOf();
    const { hits } = await hybrid.search({
      query: 'will it rain',
      limit: 10,
      visible: (t) => t.team === 'a',
    });
    expect(hits.map((h) => h.tool.team)).not.toContain('b');
    expect(hits.length).toBeGreaterThan(0);
  });

  it('falls back to the lexical ranking on failure, says so once, and retries after a pause', async () => {
    const clock = new ManualClock();
    const failures: unknown[] = [];
    let recoveries = 0;
    const index = buildIndex();
    const hybrid = await hybridOf({
      index,
      now: () => clock.now(),
      retryAfterMs: 30_000,
      onFailure: (e) => failures.push(e),
      onRecovery: () => recoveries++,
    });
    behaviour = 'fail';
    requests = [];
    for (let i = 0; i < 3; i++) {
      const answer = await hybrid.search({ query: 'send an email', limit: 2 });
      expect(answer).toEqual(index.search({ query: 'send an email', limit: 2 }));
    }
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(EmbeddingError);
    expect(hybrid.state).toBe('failing');
    // Within the pause the endpoint is not asked again.
    expect(requests).toHaveLength(1);

    behaviour = 'ok';
    clock.advance(30_000);
    const { hits } = await hybrid.search({
      query: 'do I need an umbrella',
      limit: 1,
      visible: (t) => t.team === 'a',
    });
    expect(hits[0].tool.path).toBe('srv-get_forecast');
    expect(recoveries).toBe(1);
    expect(hybrid.state).toBe('ready');
    expect(failures).toHaveLength(1);
  });

  it('falls back to the lexical ranking when the endpoint is too slow', async () => {
    const index = buildIndex();
    const failures: unknown[] = [];
    const hybrid = new HybridToolSearch({
      index,
      embeddings: new EmbeddingClient({ url, model: 'm', timeoutMs: 100 }),
      onFailure: (e) => failures.push(e),
    });
    behaviour = 'slow';
    const answer = await hybrid.search({ query: 'weather forecast', limit: 1 });
    expect(answer.hits.map((h) => h.tool.path)).toEqual(['srv-get_forecast']);
    expect(failures[0]).toBeInstanceOf(EmbeddingError);
  });

  it('is the lexical ranking when no endpoint is configured', async () => {
    const index = buildIndex();
    const hybrid = new HybridToolSearch({ index });
    await hybrid.refresh();
    expect(hybrid.state).toBe('off');
    expect(await hybrid.search({ query: 'list invoices', limit: 3 })).toEqual(
      index.search({ query: 'list invoices', limit: 3 }),
    );
    expect(requests).toHaveLength(0);
  });
});
