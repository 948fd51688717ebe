import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from '@jest/globals';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { Clock } from '../events/clock.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { SatelliteEvent } from '../events/event-map.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { UsageCall } from './usage-call.js';
import { UsageMetrics } from './usage.metrics.js';
import { MAX_PENDING_ROWS, UsageService } from './usage.service.js';
import { HOUR_MS, UsageStore } from './usage.store.js';

class ManualClock extends Clock {
  t = 1_000 * HOUR_MS;
  override now(): number {
    return this.t;
  }
}

function setup(opts: { managed?: boolean; file?: string } = {}) {
  const config = {
    version: 'test',
    ...(opts.managed ? { backend: {} } : {}),
  } as unknown as SatelliteConfig;
  const file = opts.file ?? join(mkdtempSync(join(tmpdir(), 'usage-svc-')), 'usage.sqlite');
  const store = UsageStore.open({ path: file });
  const bus = new EventBusService();
  const events: SatelliteEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const metrics = new MetricsService(config);
  const clock = new ManualClock();
  const usage = new UsageService(config, store, bus, new UsageMetrics(metrics), clock);
  return { usage, store, events, metrics, clock, file };
}

const call = (over: Partial<UsageCall> = {}): UsageCall => ({
  serverId: 'srv-1',
  server: 'everything',
  team: 'default',
  tool: 'echo',
  client: 'claude-code',
  outcome: 'ok',
  startedAt: 1_000 * HOUR_MS + 5,
  durationMs: 12,
  result: { content: [{ type: 'text', text: 'héllo' }] },
  ...over,
});

describe('UsageService', () => {
  it('counts calls in memory, writes nothing until a flush, and reports both the same', () => {
    const { usage, store } = setup();
    usage.record(call());
    usage.record(call({ outcome: 'error', error: 'boom', durationMs: 40 }));
    expect(store.usage({ sinceHour: 0 })).toEqual([]);
    const before = usage.report({ since: 0 });
    usage.flush();
    expect(store.usage({ sinceHour: 0 })).toHaveLength(1);
    expect(usage.report({ since: 0 })).toEqual(before);
    const bytes = Buffer.byteLength(JSON.stringify(call().result));
    expect(before.tools).toEqual([
      {
        tool_path: 'everything-echo',
        server: 'everything',
        calls: 2,
        errors: 1,
        p50_ms: 12,
        p95_ms: 40,
        bytes_returned: 2 * bytes,
        tokens_returned: 2 * Math.ceil(bytes / 4),
      },
    ]);
    expect(before.clients).toEqual([{ client: 'claude-code', calls: 2, errors: 1 }]);
  });

  it('flushes at shutdown and a reopened store has everything', () => {
    const first = setup();
    for (let i = 0; i < 25; i++) first.usage.record(call({ durationMs: i }));
    first.usage.sessionSeen('s1', () => ({ allTools: 1000, metaTools: 300 }));
    first.usage.sessionSeen('s1', () => ({ allTools: 5000, metaTools: 300 }));
    first.usage.discoverAnswered(120);
    first.usage.onApplicationShutdown();
    expect(first.store.isOpen()).toBe(false);
    const second = setup({ file: first.file });
    const report = second.usage.report({ since: 0 });
    expect(report.tools[0].calls).toBe(25);
    expect(report.tokens_saved).toEqual({ sessions: 1, tokens: 1000 - 300 - 120 });
  });

  it('keeps a batch the store refused and writes it later, whole', () => {
    const { usage, store, file } = setup();
    usage.record(call());
    usage.sessionSeen('s1', () => ({ allTools: 900, metaTools: 300 }));
    // Another connection holds the write lock: the flush's transaction fails (database is locked).
    const other = new DatabaseSync(file);
    other.exec('BEGIN EXCLUSIVE');
    usage.flush();
    usage.record(call({ durationMs: 30 }));
    other.exec('ROLLBACK');
    other.close();
    expect(store.usage({ sinceHour: 0 })).toEqual([]);
    usage.flush();
    const [row] = store.usage({ sinceHour: 0 });
    expect([row.calls, row.latency.count]).toEqual([2, 2]);
    expect(store.saved(0)).toEqual([{ hour: 1_000, sessions: 1, tokens: 600 }]);
  });

  it('drops past the bound instead of growing while the store takes no writes', () => {
    const { usage, store } = setup();
    usage.record(call());
    store.close();
    usage.flush();
    for (let i = 0; i < MAX_PENDING_ROWS + 10; i++) usage.record(call({ tool: `t${i}` }));
    expect(usage.droppedCalls()).toBe(11);
  });

  it('emits mcp.tool.executed per call and, in managed mode, mcp.client.activity per report', () => {
    const { usage, events } = setup({ managed: true });
    usage.record(call({ userId: 'u1', oauthClientId: 'oc1', sessionId: 'sess' }));
    usage.record(call({ userId: 'u1', oauthClientId: 'oc1', outcome: 'error', error: 'x' }));
    usage.record(call()); // no user: not client activity
    usage.reportActivity();
    usage.reportActivity(); // nothing new
    expect(events.filter((e) => e.type === 'mcp.tool.executed').map((e) => e.data)).toEqual([
      {
        tool_name: 'everything-echo',
        server_id: 'srv-1',
        team_id: 'default',
        duration_ms: 12,
        success: true,
      },
      {
        tool_name: 'everything-echo',
        server_id: 'srv-1',
        team_id: 'default',
        duration_ms: 12,
        success: false,
        error_message: 'x',
      },
      {
        tool_name: 'everything-echo',
        server_id: 'srv-1',
        team_id: 'default',
        duration_ms: 12,
        success: true,
      },
    ]);
    expect(events.filter((e) => e.type === 'mcp.client.activity').map((e) => e.data)).toEqual([
      {
        user_id: 'u1',
        team_id: 'default',
        oauth_client_id: 'oc1',
        client_name: 'claude-code',
        session_id: 'sess',
        request_count: 2,
        tool_call_count: 2,
        last_activity_at: new Date(1_000 * HOUR_MS).toISOString(),
      },
    ]);
  });

  it('caps client names: past 50 distinct names a client counts as "other"', () => {
    const { usage } = setup();
    for (let i = 0; i < 60; i++) usage.record(call({ client: `client-${i}` }));
    usage.record(call({ client: '  \u0007 ' }));
    const clients = usage.report({ since: 0 }).clients;
    expect(clients).toHaveLength(52);
    expect(clients[0]).toEqual({ client: 'other', calls: 10, errors: 0 });
    expect(clients.map((c) => c.client)).toContain('unknown');
  });
});
