// Invariant: a task's finished result lives in the data directory: a restart of the satellite
// process between the task's end and the client's fetch loses nothing. A task still running at a
// graceful shutdown is failed with the reason (and cancelled upstream); one left running by a
// crash is failed with the reason at the next boot. Trace context of a call reaches the audit
// line and the usage record (usage.sqlite).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { RESTARTED_MESSAGE, SHUTDOWN_MESSAGE } from '../src/tasks/tasks.service.js';
import { waitFor } from './support/satellite.js';
import { type SatelliteProcess, spawnSatellite } from './support/satellite-process.js';
import { ROOT, stdioEntry } from './support/upstreams.js';

const SLOW = resolve(ROOT, 'test', 'fixtures', 'slow-server.mjs');
const TRACEPARENT = '00-5af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01';

describe('tasks across a restart of the built satellite on the same data directory', () => {
  let dir: string;
  let sat: SatelliteProcess | undefined;
  const clients: Client[] = [];

  const start = async () => {
    sat = await spawnSatellite({
      NODE_ENV: 'test',
      // info: the audit lines are written
      LOG_LEVEL: 'info',
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
      DEPLOYSTACK_MCP_CONFIG: join(dir, 'mcp.json'),
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_SCHEDULER_ENABLED: 'false',
    });
    await waitFor(
      'the slow server discovered',
      async () =>
        ((await (await fetch(`${sat!.base}/`)).json()) as { tools: number }).tools >= 3 ||
        undefined,
      60_000,
    );
  };
  const connect = async () => {
    const client = new Client(
      { name: 'tasks-restart-e2e', version: '1.0.0' },
      { capabilities: { tasks: { list: {}, cancel: {} } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${sat!.base}/mcp`), {
        reconnectionOptions: {
          maxRetries: 0,
          initialReconnectionDelay: 1000,
          maxReconnectionDelay: 1000,
          reconnectionDelayGrowFactor: 1,
        },
      }),
    );
    clients.push(client);
    return client;
  };
  const closeClients = () => Promise.all(clients.splice(0).map((c) => c.close().catch(() => 0)));
  const startTask = (client: Client, args: Record<string, unknown>) =>
    client.request(
      {
        method: 'tools/call',
        params: {
          name: 'execute_mcp_tool',
          arguments: { tool_path: 'slow-slow', arguments: args },
          task: { ttl: 600_000 },
          _meta: { traceparent: TRACEPARENT },
        },
      },
      CreateTaskResultSchema,
    );
  const getTask = (client: Client, taskId: string) =>
    client.request({ method: 'tasks/get', params: { taskId } }, GetTaskResultSchema);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'satellite-tasks-restart-'));
    writeFileSync(
      join(dir, 'mcp.json'),
      JSON.stringify({ mcpServers: { slow: stdioEntry(SLOW) } }),
    );
  });

  afterAll(async () => {
    await closeClients();
    if (sat && sat.child.exitCode === null) sat.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a finished result, fails what ran at shutdown or at a crash, with the reason', async () => {
    await start();
    let client = await connect();
    const finished = await startTask(client, { ms: 300, text: 'survives restarts' });
    await waitFor(
      'the first task to complete',
      async () => (await getTask(client, finished.task.taskId)).status === 'completed',
    );
    const running = await startTask(client, { ms: 600_000 });
    await closeClients();

    // A graceful shutdown while one task runs.
    sat!.child.kill('SIGTERM');
    expect(await sat!.exited).toBe(0);
    const firstRun = sat!.output();
    // The audit line of the finished call carries its trace.
    const audit = firstRun
      .split('\n')
      .filter((l) => l.includes('"audit":"tool_call"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.find((a) => a.outcome === 'ok')).toMatchObject({
      trace_id: '5af7651916cd43dd8448eb211c80319c',
      traceparent: TRACEPARENT,
    });

    await start();
    client = await connect();
    const kept = await getTask(client, finished.task.taskId);
    expect(kept.status).toBe('completed');
    const result = await client.request(
      { method: 'tasks/result', params: { taskId: finished.task.taskId } },
      CallToolResultSchema,
    );
    expect(result.content).toEqual([{ type: 'text', text: 'survives restarts' }]);
    const stopped = await getTask(client, running.task.taskId);
    expect(stopped).toMatchObject({ status: 'failed', statusMessage: SHUTDOWN_MESSAGE });

    // A crash while one task runs: the next boot fails it.
    const crashed = await startTask(client, { ms: 600_000 });
    await closeClients();
    sat!.child.kill('SIGKILL');
    await sat!.exited;
    await start();
    client = await connect();
    expect(await getTask(client, crashed.task.taskId)).toMatchObject({
      status: 'failed',
      statusMessage: RESTARTED_MESSAGE,
    });
    expect((await getTask(client, finished.task.taskId)).status).toBe('completed');
    await closeClients();
    sat!.child.kill('SIGTERM');
    expect(await sat!.exited).toBe(0);

    // The usage record of the call keeps its trace (an exemplar of its row).
    const db = new DatabaseSync(join(dir, 'data', 'usage.sqlite'), { readOnly: true });
    const rows = db
      .prepare("SELECT traceparent FROM tool_usage WHERE tool = 'slow-slow'")
      .all() as Array<{ traceparent: string | null }>;
    db.close();
    expect(rows.map((r) => r.traceparent)).toContain(TRACEPARENT);
  }, 240_000);
});
