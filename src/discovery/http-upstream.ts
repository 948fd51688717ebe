import { Logger } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { HttpServerDefinition } from '../config/server-definition.js';
import type { UpstreamConnection } from './upstream-connection.js';

/**
 * A remote MCP server over Streamable HTTP, falling back to the legacy HTTP+SSE transport
 * (MCP 2025-11-25 "Backwards Compatibility"). The client is rebuilt when the transport closes or
 * the upstream forgets our session (404): the SDK client does not re-initialize by itself.
 */
export class HttpUpstream implements UpstreamConnection {
  private readonly logger = new Logger(HttpUpstream.name);
  private client?: Client;
  private connecting?: Promise<Client>;
  private closed = false;

  constructor(
    readonly def: HttpServerDefinition,
    private readonly createClient: () => Client,
  ) {}

  /** `signal` stops the attempt: the pending request is aborted and the client closed. */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.ensureClient(signal);
  }

  async withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.ensureClient();
    try {
      return await fn(client);
    } catch (err) {
      if (err instanceof StreamableHTTPError && err.code === 404) {
        // The upstream dropped our session: the request was never processed, so one retry on a
        // fresh session is safe.
        this.logger.warn(`upstream ${this.def.slug} lost our session; reconnecting`);
        await this.reset(client);
        return fn(await this.ensureClient());
      }
      throw err;
    }
  }

  /**
   * Closes the current client, so requests pending on it fail at once (ConnectionClosed) instead
   * of waiting for their timeout; the next call connects anew. Used when an instance is ejected.
   */
  async drop(): Promise<void> {
    if (this.client) await this.reset(this.client);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.close().catch(() => undefined);
  }

  private ensureClient(signal?: AbortSignal): Promise<Client> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open(signal).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(signal?: AbortSignal): Promise<Client> {
    signal?.throwIfAborted();
    const url = new URL(this.def.url);
    const requestInit = { headers: { ...this.def.headers } };
    const options = signal ? { signal } : undefined;
    let client = this.createClient();
    // On abort the client (the current one: `client` is reassigned below) is closed, which aborts
    // its pending fetch. This listener is added before the SDK's own, so the transport is gone
    // when the SDK would send `notifications/cancelled`: nothing more reaches the upstream.
    const closeOnAbort = () => void client.close().catch(() => undefined);
    signal?.addEventListener('abort', closeOnAbort, { once: true });
    try {
      if (this.def.transport === 'http') {
        try {
          await client.connect(
            new StreamableHTTPClientTransport(url, { requestInit, fetch: ownSignalFetch() }),
            options,
          );
          return this.adopt(client);
        } catch (err) {
          signal?.throwIfAborted(); // stopped: no fallback
          this.logger.debug(
            `upstream ${this.def.slug}: Streamable HTTP failed (${(err as Error).message}); trying SSE`,
          );
          await client.close().catch(() => undefined);
          client = this.createClient();
        }
      }
      try {
        await client.connect(
          new SSEClientTransport(url, {
            requestInit,
            fetch: ownSignalFetch(),
            eventSourceInit: { fetch: withHeaders(this.def.headers) },
          }),
          options,
        );
      } catch (err) {
        // A failed SSE connect leaves the EventSource retrying forever unless it is closed.
        await client.close().catch(() => undefined);
        signal?.throwIfAborted();
        throw err;
      }
      return this.adopt(client);
    } finally {
      signal?.removeEventListener('abort', closeOnAbort);
    }
  }

  private adopt(client: Client): Client {
    if (this.closed) {
      void client.close();
      throw new Error('connection closed');
    }
    client.onclose = () => {
      if (this.client === client) this.client = undefined;
    };
    this.client = client;
    return client;
  }

  private async reset(client: Client): Promise<void> {
    if (this.client === client) this.client = undefined;
    await client.close().catch(() => undefined);
  }
}

function withHeaders(headers: Readonly<Record<string, string>>): typeof fetch {
  return (input, init) => {
    const merged = new Headers(init?.headers);
    for (const [k, v] of Object.entries(headers)) merged.set(k, v);
    return fetch(input, { ...init, headers: merged });
  };
}

/**
 * fetch with a signal of its own per request, still aborted with the transport's. The SDK
 * transports pass their one long-lived AbortSignal to every fetch, and undici takes its abort
 * listener off that signal only once the request object is garbage-collected: under load
 * thousands pile up on it, and each new fetch walks them all when it adds its own (6.7 % of the
 * satellite's CPU at ~550 calls/s, docs/benchmarks.md). `AbortSignal.any` holds its dependants
 * weakly, with no listener on the source.
 */
function ownSignalFetch(): typeof fetch {
  return (input, init) =>
    fetch(input, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init);
}
