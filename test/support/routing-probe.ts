// Clients that record every message they receive, for the routing tests: which notifications,
// server→client requests and responses reached which client (test/routing/).
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  type CallToolResult,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { ROOT } from './upstreams.js';

export const NOTIFY_SERVER = resolve(ROOT, 'test', 'fixtures', 'routing', 'notify-server.mjs');

/** How a probe reaches the notify server: its direct endpoint, or execute_mcp_tool on /mcp or /sse. */
export type ProbeKind = 'direct' | 'meta' | 'sse';

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly onprogress?: () => void;
  /** A progress token of the caller's choosing (instead of the SDK's own, its request id). */
  readonly progressToken?: string;
}

/**
 * One MCP client of the satellite that keeps every message it received (`inbound`) and the tag of
 * each tools/call it sent, by request id (`sent`). Its elicitation and sampling handlers answer
 * with its own name and record what they were asked.
 */
export class Probe {
  readonly inbound: JSONRPCMessage[] = [];
  readonly sent = new Map<string | number, string>();
  readonly asked: string[] = [];

  private constructor(
    readonly name: string,
    readonly kind: ProbeKind,
    readonly client: Client,
    private readonly tool: (name: string) => string,
  ) {}

  /** `base` is the satellite's base URL; `slug` the notify server's. */
  static async open(base: string, slug: string, kind: ProbeKind, name: string): Promise<Probe> {
    const client = new Client(
      { name, version: '1.0.0' },
      { capabilities: { elicitation: {}, sampling: {} } },
    );
    const transport: Transport =
      kind === 'sse'
        ? new SSEClientTransport(new URL(`${base}/sse`))
        : new StreamableHTTPClientTransport(
            new URL(kind === 'direct' ? `${base}/i/${slug}/mcp` : `${base}/mcp`),
            { reconnectionOptions: noRetries },
          );
    const probe = new Probe(name, kind, client, (tool) =>
      kind === 'direct' ? tool : `${slug}-${tool}`,
    );
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      probe.asked.push(req.params.message);
      return { action: 'accept', content: { who: name } };
    });
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      const first = req.params.messages[0]?.content;
      probe.asked.push(first && 'text' in first ? String(first.text) : '');
      return { model: 'probe', role: 'assistant', content: { type: 'text', text: name } };
    });
    // The SDK client reports progress for tokens it does not know, and the like, here: the test
    // looks at the raw messages instead.
    client.onerror = () => undefined;
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      if ('method' in message && 'id' in message && message.method === 'tools/call') {
        const params = message.params as { arguments?: Record<string, unknown> };
        const args =
          kind === 'direct'
            ? params.arguments
            : (params.arguments?.arguments as Record<string, unknown> | undefined);
        probe.sent.set(message.id, typeof args?.tag === 'string' ? args.tag : '');
      }
      return send(message, options);
    };
    await client.connect(transport);
    const deliver = transport.onmessage!;
    transport.onmessage = (message, extra) => {
      probe.inbound.push(message);
      deliver(message, extra);
    };
    return probe;
  }

  /** Calls a tool of the notify server, the way this probe's endpoint does it. */
  call(
    tool: string,
    args: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    const name = this.tool(tool);
    const meta = options.progressToken ? { _meta: { progressToken: options.progressToken } } : {};
    const params =
      this.kind === 'direct'
        ? { name, arguments: args, ...meta }
        : { name: 'execute_mcp_tool', arguments: { tool_path: name, arguments: args }, ...meta };
    return this.client.request({ method: 'tools/call', params }, CallToolResultSchema, {
      timeout: 30_000,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onprogress ? { onprogress: options.onprogress } : {}),
    });
  }

  notifications(method: string): Array<Record<string, unknown>> {
    return this.inbound
      .filter((m) => 'method' in m && !('id' in m) && m.method === method)
      .map((m) => ((m as { params?: Record<string, unknown> }).params ?? {}) as never);
  }

  requests(): Array<{ method: string; params: Record<string, unknown> }> {
    return this.inbound.filter((m) => 'method' in m && 'id' in m) as never;
  }

  responseIds(): Array<string | number> {
    return this.inbound
      .filter((m) => !('method' in m) && 'id' in m)
      .map((m) => (m as { id: string | number }).id);
  }

  close(): Promise<void> {
    return this.client.close().catch(() => undefined);
  }
}

const noRetries = {
  maxRetries: 0,
  initialReconnectionDelay: 1000,
  maxReconnectionDelay: 1000,
  reconnectionDelayGrowFactor: 1,
};

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

export interface NotifyHttp {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** The notify server over Streamable HTTP, as a child process on a free loopback port. */
export async function startNotifyHttp(): Promise<NotifyHttp> {
  const child = spawn(process.execPath, [NOTIFY_SERVER, 'http', '0'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error('notify-server did not start')), 15_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^listening (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
    child.once('exit', (code) => rej(new Error(`notify-server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    child,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}
