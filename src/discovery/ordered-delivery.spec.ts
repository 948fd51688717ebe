import { describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
  ResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { OrderedClient } from './ordered-delivery.js';

/** A transport that hands over what the test gives it in one go, as a stdio chunk does. */
class ChunkTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly sent: JSONRPCMessage[] = [];

  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.onclose?.();
    return Promise.resolve();
  }
  send(message: JSONRPCMessage): Promise<void> {
    this.sent.push(message);
    if ('method' in message && message.method === 'initialize' && 'id' in message) {
      queueMicrotask(() =>
        this.chunk([
          {
            jsonrpc: '2.0',
            id: message.id,
            result: {
              protocolVersion: LATEST_PROTOCOL_VERSION,
              capabilities: {},
              serverInfo: { name: 'chunked', version: '1' },
            },
          },
        ]),
      );
    }
    return Promise.resolve();
  }
  chunk(messages: JSONRPCMessage[]): void {
    for (const m of messages) this.onmessage?.(m);
  }
}

/** Calls once; the "server" answers with 3 progress notifications and the result in one chunk. */
async function progressSeen(client: Client): Promise<number> {
  const transport = new ChunkTransport();
  await client.connect(transport);
  let seen = 0;
  const call = client.request({ method: 'tools/call', params: { name: 't' } }, ResultSchema, {
    onprogress: () => void seen++,
  });
  await new Promise((r) => setImmediate(r));
  const request = transport.sent.find((m) => 'method' in m && m.method === 'tools/call');
  const id = (request as { id: number }).id;
  const token = (request as { params: { _meta: { progressToken: number } } }).params._meta
    .progressToken;
  transport.chunk([
    ...[1, 2, 3].map((progress) => ({
      jsonrpc: '2.0' as const,
      method: 'notifications/progress',
      params: { progressToken: token, progress, total: 3 },
    })),
    { jsonrpc: '2.0', id, result: { content: [] } },
  ]);
  await call;
  await client.close();
  return seen;
}

describe('OrderedClient', () => {
  it('handles progress that arrives in the same chunk as the response before the response', async () => {
    expect(await progressSeen(new OrderedClient({ name: 'ordered', version: '1' }))).toBe(3);
  });

  it('is needed: the plain SDK client loses that progress (typescript-sdk #2580)', async () => {
    // When this fails, the SDK handles messages in order itself and OrderedClient can go.
    const plain = new Client({ name: 'plain', version: '1' });
    plain.onerror = () => undefined; // "progress notification for an unknown token"
    expect(await progressSeen(plain)).toBe(0);
  });
});
