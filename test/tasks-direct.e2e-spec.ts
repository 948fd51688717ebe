// Invariant: a task-augmented tools/call on a direct endpoint goes through to an upstream that
// supports tasks; the client sees the task under an id prefixed with the endpoint's slug, and
// tasks/get, tasks/result, tasks/list and tasks/cancel map it back to the upstream's id, for the
// owner that created it only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { type Satellite, startSatellite, waitFor } from './support/satellite.js';
import { EVERYTHING, stdioEntry } from './support/upstreams.js';
import { EXECUTE, type TokenGrant, writeTokensFile } from './security/support.js';

const ALICE: TokenGrant = {
  token: 'tok-direct-tasks-alice-0123',
  principal: 'alice',
  teams: ['default'],
  scopes: [EXECUTE],
};
const BOB: TokenGrant = {
  token: 'tok-direct-tasks-bob-012345',
  principal: 'bob',
  teams: ['default'],
  scopes: [EXECUTE],
};

describe('tasks through a direct endpoint (server-everything)', () => {
  let sat: Satellite;
  let dir: string;
  const clients: Client[] = [];

  const connect = async (slug: string, token: string) => {
    const client = new Client(
      { name: 'direct-tasks-e2e', version: '1.0.0' },
      { capabilities: { tasks: { list: {}, cancel: {} } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${sat.baseUrl}/i/${slug}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
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
  const research = (client: Client, topic: string) =>
    client.request(
      {
        method: 'tools/call',
        params: { name: 'simulate-research-query', arguments: { topic }, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'satellite-direct-tasks-'));
    writeTokensFile(join(dir, 'tokens.json'), [ALICE, BOB]);
    sat = await startSatellite(
      {
        one: stdioEntry(EVERYTHING, ['stdio']),
        two: stdioEntry(EVERYTHING, ['stdio']),
      },
      {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: join(dir, 'tokens.json'),
      },
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await sat?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the task through under a prefixed id; get, result and list map it back', async () => {
    // Another owner's session on the same endpoint: the upstream's task status notifications
    // (sent as the research task moves through its stages) must not reach it.
    const bystander = await connect('one', BOB.token);
    const seen: string[] = [];
    bystander.fallbackNotificationHandler = (n) => {
      seen.push(n.method);
      return Promise.resolve();
    };
    const alice = await connect('one', ALICE.token);
    expect(alice.getServerCapabilities()?.tasks).toBeDefined();
    const created = await research(alice, 'tidal energy');
    const id = created.task.taskId;
    expect(id.startsWith('one:')).toBe(true);
    const got = await alice.request(
      { method: 'tasks/get', params: { taskId: id } },
      GetTaskResultSchema,
    );
    expect(got.taskId).toBe(id);
    const done = await waitFor(
      'the upstream task to complete',
      async () => {
        const t = await alice.request(
          { method: 'tasks/get', params: { taskId: id } },
          GetTaskResultSchema,
        );
        return t.status === 'completed' ? t : undefined;
      },
      60_000,
    );
    expect(done.taskId).toBe(id);
    const result = await alice.request(
      { method: 'tasks/result', params: { taskId: id } },
      CallToolResultSchema,
    );
    expect(JSON.stringify(result.content)).toMatch(/tidal energy/);
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: id });
    const listed = await alice.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(listed.tasks.map((t) => t.taskId)).toEqual([id]);
    expect(seen.filter((m) => m.startsWith('notifications/tasks'))).toEqual([]);
  }, 90_000);

  it('another endpoint and another owner do not find the task', async () => {
    const alice = await connect('one', ALICE.token);
    const created = await research(alice, 'coral reefs');
    const id = created.task.taskId;
    const aliceOnTwo = await connect('two', ALICE.token);
    await expect(
      aliceOnTwo.request({ method: 'tasks/get', params: { taskId: id } }, GetTaskResultSchema),
    ).rejects.toThrow(/Task not found/);
    const bob = await connect('one', BOB.token);
    await expect(
      bob.request({ method: 'tasks/get', params: { taskId: id } }, GetTaskResultSchema),
    ).rejects.toThrow(/Task not found/);
    const bobs = await bob.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(bobs.tasks).toEqual([]);
    // The owner cancels it through the endpoint; the upstream's task is the one cancelled.
    const cancelled = await alice.request(
      { method: 'tasks/cancel', params: { taskId: id } },
      CancelTaskResultSchema,
    );
    expect(cancelled).toMatchObject({ taskId: id, status: 'cancelled' });
  }, 60_000);
});
