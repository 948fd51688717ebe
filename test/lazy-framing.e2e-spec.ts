// Invariant: a tools/call whose upstream asks the client something (elicitation, sampling) or logs
// while it runs switches its POST's response from JSON to SSE (docs/protocol.md "Streamable HTTP
// framing"): a priming event first, the server's request with an id as an event, the client's
// answer POSTed as a JSON-RPC response (202), the result on the same stream; the session goes on
// with plain JSON calls. A client whose stream drops before it read the server's request resumes
// with Last-Event-ID, gets the request and can still answer it. On /mcp (execute_mcp_tool) and on
// a direct endpoint, with the conformance fixture as a stdio upstream.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type CallToolResult,
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { FIXTURE_STDIO_ENTRY } from './conformance/fixture-process.js';
import { postMcp } from './support/mcp-http.js';
import { type Satellite, startSatellite } from './support/satellite.js';
import { parseSse, type SseEvent } from './support/sse.js';
import { stdioEntry } from './support/upstreams.js';

const V = '2025-11-25';
const CALL_MS = 30_000;

type Message = Record<string, unknown> & { id?: string | number; method?: string };

/** Reads an SSE body event by event, keeping the connection between reads. */
class SseReader {
  readonly events: SseEvent[] = [];
  private readonly reader: ReadableStreamDefaultReader<string>;
  private buffer = '';
  private done = false;
  /** A read that outlived a deadline: the next one waits for it, so no chunk is lost. */
  private pending?: ReturnType<ReadableStreamDefaultReader<string>['read']>;

  constructor(res: Response) {
    this.reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Reads until an event matches `pick` (returning it), or fails after `ms` or at the stream's end. */
  async until(pick: (e: SseEvent) => boolean, ms = CALL_MS): Promise<SseEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(pick);
      if (found) return found;
      if (this.done) throw new Error(`stream ended without the event; had ${this.dump()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such event within ${ms} ms; had ${this.dump()}`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left)));
      this.pending ??= this.reader.read();
      const chunk = await Promise.race([this.pending, timeout]);
      clearTimeout(timer);
      if (chunk === 'timeout') continue;
      this.pending = undefined;
      if (chunk.done) this.done = true;
      else this.take(chunk.value);
    }
  }

  /** Reads to the end of the stream (bounded), returning every event it carried. */
  async rest(ms = CALL_MS): Promise<SseEvent[]> {
    await this.until(() => false, ms).catch((err: Error) => {
      if (!this.done) throw err;
    });
    return this.events;
  }

  messages(): Message[] {
    return this.events.filter((e) => e.data).map((e) => JSON.parse(e.data) as Message);
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  private take(text: string): void {
    this.buffer += text;
    const blocks = this.buffer.split('\n\n');
    this.buffer = blocks.pop()!;
    // A keep-alive comment parses as an event with no field at all: not an event of the stream.
    for (const e of parseSse(blocks.join('\n\n') + '\n\n')) {
      if (e.id !== undefined || e.data !== '' || e.retry !== undefined) this.events.push(e);
    }
  }

  private dump(): string {
    return JSON.stringify(this.events).slice(0, 2_000);
  }
}

const message = (e: SseEvent) => (e.data ? (JSON.parse(e.data) as Message) : {});
const isRequestFor = (method: string) => (e: SseEvent) => {
  const m = message(e);
  return m.method === method && m.id !== undefined;
};
const isResponseTo = (id: string | number) => (e: SseEvent) => {
  const m = message(e);
  return m.id === id && m.method === undefined;
};
const textOf = (m: Message) =>
  ((m.result as CallToolResult).content ?? [])
    .map((c) => (c.type === 'text' ? c.text : ''))
    .join('');

interface Endpoint {
  readonly name: string;
  /** Whether tools are called through execute_mcp_tool. */
  readonly meta: boolean;
  /** The endpoint's URL on a satellite at `baseUrl`. */
  url(baseUrl: string): string;
  /** The params of a tools/call of the fixture's `tool`. */
  call(tool: string, args: Record<string, unknown>): Record<string, unknown>;
}

/** The two ways to call the fixture's tools: execute_mcp_tool on /mcp, and direct. */
const ENDPOINTS: Endpoint[] = [
  {
    name: '/mcp (execute_mcp_tool)',
    meta: true,
    url: (base) => `${base}/mcp`,
    call: (tool, args) => ({
      name: 'execute_mcp_tool',
      arguments: { tool_path: `fixture-${tool}`, arguments: args },
    }),
  },
  {
    name: '/i/fixture/mcp',
    meta: false,
    url: (base) => `${base}/i/fixture/mcp`,
    call: (tool, args) => ({ name: tool, arguments: args }),
  },
];

describe('lazy framing under server-to-client requests and logging', () => {
  let sat: Satellite;

  beforeAll(async () => {
    sat = await startSatellite({ fixture: stdioEntry(FIXTURE_STDIO_ENTRY) });
  }, 60_000);

  afterAll(() => sat?.stop());

  type Bound = Omit<Endpoint, 'url'> & { url: string };

  /** A session on `url` of a client that can answer elicitation and sampling. */
  async function open(url: string): Promise<Record<string, string>> {
    const init = await postMcp(url, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: V,
        capabilities: { elicitation: {}, sampling: {} },
        clientInfo: { name: 'lazy-framing-e2e', version: '1.0.0' },
      },
    });
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await init.json()).toMatchObject({ id: 1, result: { protocolVersion: V } });
    const headers = {
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': V,
    };
    const initialized = await postMcp(
      url,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers,
    );
    expect(initialized.status).toBe(202);
    return headers;
  }

  /** Starts a tools/call and expects its response to have switched to SSE, priming event first. */
  async function callAsSse(
    ep: Bound,
    headers: Record<string, string>,
    id: number,
    tool: string,
    args: Record<string, unknown>,
  ): Promise<{ sse: SseReader; priming: SseEvent }> {
    const res = await postMcp(
      ep.url,
      { jsonrpc: '2.0', id, method: 'tools/call', params: ep.call(tool, args) },
      headers,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('mcp-session-id')).toBe(headers['mcp-session-id']);
    const sse = new SseReader(res);
    const priming = await sse.until(() => true);
    expect(priming).toMatchObject({ data: '', retry: 1000 });
    expect(priming.id).toBeTruthy();
    return { sse, priming };
  }

  /** POSTs the client's answer to the server's request `request`: accepted with 202. */
  async function answer(
    ep: Bound,
    headers: Record<string, string>,
    request: Message,
    result: Record<string, unknown>,
  ): Promise<void> {
    const res = await postMcp(ep.url, { jsonrpc: '2.0', id: request.id, result }, headers);
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
  }

  /** After a streamed call: a quick call of the same session is one plain JSON response. */
  async function expectPlainJsonCall(ep: Bound, headers: Record<string, string>, id: number) {
    const res = await postMcp(
      ep.url,
      { jsonrpc: '2.0', id, method: 'tools/call', params: ep.call('test_simple_text', {}) },
      headers,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Message;
    expect(body).toMatchObject({ jsonrpc: '2.0', id, result: { content: [{ type: 'text' }] } });
    expect(textOf(body)).toContain('simple text');
  }

  const ELICITED = { username: 'alice', email: 'alice@example.com' };
  const SAMPLED = {
    role: 'assistant',
    model: 'test-model',
    content: { type: 'text', text: 'sampled by the raw client' },
  };

  describe.each(ENDPOINTS)('on $name', (endpoint) => {
    const ep = () => ({ ...endpoint, url: endpoint.url(sat.baseUrl) });

    it('elicitation: SSE, priming event, a request with an id, 202 for the answer, the result on the stream', async () => {
      const headers = await open(ep().url);
      const { sse, priming } = await callAsSse(ep(), headers, 2, 'test_elicitation', {
        message: 'who are you?',
      });
      const asked = message(await sse.until(isRequestFor('elicitation/create')));
      expect(asked.params).toMatchObject({ message: 'who are you?' });
      await answer(ep(), headers, asked, { action: 'accept', content: ELICITED });
      const done = message(await sse.until(isResponseTo(2)));
      expect(textOf(done)).toContain('action=accept');
      expect(textOf(done)).toContain('alice@example.com');
      const events = await sse.rest();
      // The response is the stream's last event, and every event has its own id.
      expect(events.at(-1)).toBe(events.find(isResponseTo(2)));
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      expect(events[0]).toBe(priming);
      await expectPlainJsonCall(ep(), headers, 3);
    }, 60_000);

    it('sampling: SSE, priming event, a request with an id, 202 for the answer, the result on the stream', async () => {
      const headers = await open(ep().url);
      const { sse } = await callAsSse(ep(), headers, 2, 'test_sampling', { prompt: 'say hi' });
      const asked = message(await sse.until(isRequestFor('sampling/createMessage')));
      expect(asked.params).toMatchObject({
        messages: [{ role: 'user', content: { type: 'text', text: 'say hi' } }],
      });
      await answer(ep(), headers, asked, SAMPLED);
      const done = message(await sse.until(isResponseTo(2)));
      expect(textOf(done)).toBe('LLM response: sampled by the raw client');
      const events = await sse.rest();
      expect(events.at(-1)).toBe(events.find(isResponseTo(2)));
      await expectPlainJsonCall(ep(), headers, 3);
    }, 60_000);

    it('logging: SSE, priming event, each log message as an event with an id, then the result', async () => {
      const headers = await open(ep().url);
      const { sse } = await callAsSse(ep(), headers, 2, 'test_tool_with_logging', {});
      await sse.until(isResponseTo(2));
      const events = await sse.rest();
      const logs = sse
        .messages()
        .filter((m) => m.method === 'notifications/message')
        .map((m) => (m.params as { data: unknown }).data);
      expect(logs).toEqual([
        'Tool execution started',
        'Tool processing data',
        'Tool execution completed',
      ]);
      expect(events.every((e) => e.id)).toBe(true);
      const last = message(events.at(-1)!);
      expect(last.id).toBe(2);
      expect(textOf(last)).toBe('Tool with logging executed: 3 log messages sent');
      await expectPlainJsonCall(ep(), headers, 3);
    }, 60_000);

    it('a client that drops the stream before reading the elicitation resumes, gets it, answers it, gets the result', async () => {
      const headers = await open(ep().url);
      const { sse, priming } = await callAsSse(ep(), headers, 2, 'test_elicitation', {
        message: 'still there?',
      });
      // Gone right after the priming event: whatever else came on this connection is unread.
      await sse.cancel();
      const resumed = await fetch(ep().url, {
        headers: { ...headers, accept: 'text/event-stream', 'last-event-id': priming.id! },
      });
      expect(resumed.status).toBe(200);
      expect(resumed.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const again = new SseReader(resumed);
      const askedEvent = await again.until(isRequestFor('elicitation/create'));
      expect(askedEvent.id).toBeTruthy();
      expect(askedEvent.id).not.toBe(priming.id);
      const asked = message(askedEvent);
      expect(asked.params).toMatchObject({ message: 'still there?' });
      await answer(ep(), headers, asked, { action: 'decline' });
      const done = message(await again.until(isResponseTo(2)));
      expect(textOf(done)).toContain('action=decline');
      await again.rest();
      await expectPlainJsonCall(ep(), headers, 3);
    }, 60_000);

    it('a client that refuses the elicitation with a JSON-RPC error: 202, and the call ends on its stream', async () => {
      const headers = await open(ep().url);
      const { sse } = await callAsSse(ep(), headers, 2, 'test_elicitation', { message: 'no?' });
      const asked = message(await sse.until(isRequestFor('elicitation/create')));
      const res = await postMcp(
        ep().url,
        {
          jsonrpc: '2.0',
          id: asked.id,
          error: { code: -32603, message: 'user closed the dialog' },
        },
        headers,
      );
      expect(res.status).toBe(202);
      const done = message(await sse.until(isResponseTo(2)));
      // The upstream's tool failed on the refusal: execute_mcp_tool reports that as an isError
      // result, a direct endpoint relays the upstream's JSON-RPC error.
      if (ep().meta) {
        expect(done).toMatchObject({ result: { isError: true } });
        // Relayed twice (client → upstream → client), the text still reads as the client wrote it.
        expect(textOf(done)).toContain('(-32603): user closed the dialog.');
        expect(textOf(done)).not.toContain('MCP error');
      } else {
        expect(done).toMatchObject({
          error: { code: -32603, message: 'user closed the dialog' },
        });
      }
      await sse.rest();
      await expectPlainJsonCall(ep(), headers, 3);
    }, 60_000);

    it('a client that answers while its stream is down gets the result on resuming, and the stream ends', async () => {
      const headers = await open(ep().url);
      const { sse } = await callAsSse(ep(), headers, 2, 'test_sampling', { prompt: 'offline' });
      const askedEvent = await sse.until(isRequestFor('sampling/createMessage'));
      await sse.cancel();
      await answer(ep(), headers, message(askedEvent), SAMPLED);
      // The result went out while no connection was open: it waits in the event store.
      const resumed = await fetch(ep().url, {
        headers: { ...headers, accept: 'text/event-stream', 'last-event-id': askedEvent.id! },
      });
      expect(resumed.status).toBe(200);
      expect(resumed.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = await new SseReader(resumed).rest();
      expect(events.map(message)).toEqual([
        expect.objectContaining({
          id: 2,
          result: expect.objectContaining({
            content: [{ type: 'text', text: 'LLM response: sampled by the raw client' }],
          }),
        }),
      ]);
      await expectPlainJsonCall(ep(), headers, 3);
    }, 60_000);
  });

  it('an SDK v1 client answers elicitation and sampling through the direct endpoint, and gets the logs', async () => {
    const client = new Client(
      { name: 'lazy-framing-sdk', version: '1.0.0' },
      { capabilities: { elicitation: {}, sampling: {} } },
    );
    const elicited: unknown[] = [];
    const sampled: unknown[] = [];
    const logged: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      elicited.push(req.params);
      return { action: 'accept', content: ELICITED };
    });
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      sampled.push(req.params.messages);
      return SAMPLED;
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logged.push(n.params.data);
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${sat.baseUrl}/i/fixture/mcp`), {
        reconnectionOptions: {
          maxRetries: 0,
          initialReconnectionDelay: 1000,
          maxReconnectionDelay: 1000,
          reconnectionDelayGrowFactor: 1,
        },
      }),
    );
    try {
      const elicitation = (await client.callTool(
        { name: 'test_elicitation', arguments: { message: 'sdk?' } },
        CallToolResultSchema,
        { timeout: CALL_MS },
      )) as CallToolResult;
      expect(elicitation.isError).toBeFalsy();
      expect(textOf({ result: elicitation })).toContain('action=accept');
      expect(elicited).toEqual([expect.objectContaining({ message: 'sdk?' })]);

      const sampling = (await client.callTool(
        { name: 'test_sampling', arguments: { prompt: 'sdk says hi' } },
        CallToolResultSchema,
        { timeout: CALL_MS },
      )) as CallToolResult;
      expect(sampling.isError).toBeFalsy();
      expect(textOf({ result: sampling })).toBe('LLM response: sampled by the raw client');
      expect(sampled).toHaveLength(1);

      const logging = (await client.callTool(
        { name: 'test_tool_with_logging', arguments: {} },
        CallToolResultSchema,
        { timeout: CALL_MS },
      )) as CallToolResult;
      expect(textOf({ result: logging })).toContain('3 log messages sent');
      expect(logged).toEqual([
        'Tool execution started',
        'Tool processing data',
        'Tool execution completed',
      ]);
    } finally {
      await client.close();
    }
  }, 60_000);
});
