// Invariant: every command the backend sends runs at most once (by id), in priority order, and is
// answered by exactly one accepted result post; failures carry `error_message`; unknown and expired
// commands fail with a clear message; configure feeds the same registry diff as the config file.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { BackendConnectionService } from '../../src/backend/backend-connection.service.js';
import { CommandPollerService } from '../../src/backend/command-poller.service.js';
import { SecretRedactor } from '../../src/config/secret-redactor.js';
import type { SatelliteEvent } from '../../src/events/event-map.js';
import { EventBusService } from '../../src/events/event-bus.service.js';
import { FakeBackend } from '../fake-backend/fake-backend.js';
import { type ManagedHarness, startManaged } from './support/managed-harness.js';

const CONFIG = {
  mcp_servers: {
    'team-a-memory-7f3a': {
      installation_id: 'inst-stdio',
      installation_name: 'team-a-memory-7f3a',
      team_id: 'team-a',
      team_slug: 'alpha',
      server_name: 'Memory',
      server_slug: 'memory',
      transport_type: 'stdio',
      enabled: true,
      user_id: 'user-1',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
      env: { API_TOKEN: 'env-secret-0001', PLAIN: 'visible' },
      secret_metadata: { env: ['API_TOKEN'] },
    },
    'team-b-remote-19c2': {
      installation_id: 'inst-http',
      installation_name: 'team-b-remote-19c2',
      team_id: 'team-b',
      team_slug: 'beta',
      server_name: 'Remote',
      server_slug: 'remote',
      transport_type: 'http',
      enabled: false,
      url: 'https://mcp.example.com/mcp?region=eu',
      headers: { 'X-Key': 'header-secret-0002' },
      url_query_params: { api_key: 'query secret/0003' },
      timeout: 15000,
      secret_metadata: { headers: ['X-Key'], query_params: ['api_key'] },
    },
    'team-a-broken': { installation_id: 'inst-broken', team_id: 'team-a', transport_type: 'http' },
  },
  satellite_config: { polling_intervals: { normal: 30 } },
};

let serial = 0;

describe('command dispatch', () => {
  let backend: FakeBackend;
  let h: ManagedHarness;
  let poller: CommandPollerService;
  let events: SatelliteEvent[];

  const resultsFor = (id: string) => backend.commandResults.filter((r) => r.command_id === id);
  const resultOf = (id: string) => {
    const results = resultsFor(id);
    expect(results).toHaveLength(1);
    return results[0];
  };

  beforeAll(async () => {
    backend = await FakeBackend.start();
  });
  beforeEach(async () => {
    const token = `deploystack_satellite_global_dispatch_${serial++}`;
    backend.addRegistrationToken(token);
    backend.setConfig(CONFIG);
    h = await startManaged(backend, { registrationToken: token });
    events = [];
    h.get(EventBusService).subscribe((e) => events.push(e));
    poller = h.get(CommandPollerService);
    expect(await h.get(BackendConnectionService).connect()).toBe(true);
  });
  afterEach(async () => {
    expect(backend.rejections).toEqual([]);
    backend.clearFailures();
    await h.close();
  });
  afterAll(async () => {
    await backend.stop();
  });

  it('applies the configuration at connect and on configure, as server definitions with masked secrets', async () => {
    expect([...h.servers.servers.keys()].sort()).toEqual(['inst-http', 'inst-stdio']);
    expect(h.servers.servers.get('inst-stdio')).toEqual({
      id: 'inst-stdio',
      slug: 'memory',
      name: 'team-a-memory-7f3a',
      team: 'team-a',
      userId: 'user-1',
      enabled: true,
      description: 'Memory',
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
      env: { API_TOKEN: 'env-secret-0001', PLAIN: 'visible' },
      secrets: ['env-secret-0001'],
    });
    expect(h.servers.servers.get('inst-http')).toMatchObject({
      transport: 'http',
      enabled: false,
      url: 'https://mcp.example.com/mcp?region=eu&api_key=query+secret%2F0003',
      headers: { 'X-Key': 'header-secret-0002' },
      timeoutMs: 15000,
    });
    // The broken entry is reported (log + config.error event), the others still apply.
    expect(events.find((e) => e.type === 'config.error')?.data).toEqual({
      source: 'backend',
      problems: [
        expect.stringMatching(
          /mcp_servers\["team-a-broken"\] skipped: server_slug is missing, url is missing/,
        ),
      ],
    });
    const redactor = h.get(SecretRedactor);
    const line = redactor.redact('env-secret-0001 header-secret-0002 query+secret%2F0003 visible');
    expect(line).toBe('[REDACTED] [REDACTED] [REDACTED] visible');

    const id = backend.queueCommand({
      command_type: 'configure',
      payload: { event: 'mcp_installation_updated' },
    });
    await poller.pollOnce();
    expect(resultOf(id)).toEqual({
      command_id: id,
      status: 'completed',
      result: { configuration_applied: true, total_servers: 2, enabled_servers: 1 },
    });
    expect(h.servers.operations.filter((o) => o.startsWith('apply'))).toEqual([
      'apply:2',
      'apply:2',
    ]);
  });

  it('runs each handler and reports one result each', async () => {
    const spawn = backend.queueCommand({
      command_type: 'spawn',
      payload: {
        transport_type: 'stdio',
        installation_id: 'inst-new',
        installation_name: 'opaque-new',
        team_id: 'team-a',
        team_slug: 'alpha',
        server_slug: 'fetch',
        user_id: 'user-2',
        command: 'uvx',
        args: ['mcp-server-fetch'],
        env: { TOKEN: 'spawn-secret-4' },
      },
    });
    const killByName = backend.queueCommand({
      command_type: 'kill',
      payload: { installation_name: 'team-a-memory-7f3a' },
    });
    const restart = backend.queueCommand({
      command_type: 'restart',
      payload: { installation_id: 'inst-http' },
    });
    const tool = backend.queueCommand({
      command_type: 'configure',
      payload: {
        action: 'update_tool_status',
        installation_id: 'inst-http',
        tool_name: 'search',
        is_disabled: true,
        team_id: 'team-b',
        server_slug: 'remote',
      },
    });
    const probe = backend.queueCommand({ command_type: 'health_check', payload: {} });
    h.servers.credentialChecks.set('inst-http', {
      valid: false,
      error: 'upstream answered 401',
      needsReauth: true,
    });
    const creds = backend.queueCommand({
      command_type: 'health_check',
      payload: { check_type: 'credential_validation', installation_id: 'inst-http' },
    });
    const killUnknown = backend.queueCommand({
      command_type: 'kill',
      payload: { installation_id: 'inst-nope' },
    });
    const killNothing = backend.queueCommand({ command_type: 'kill', payload: {} });
    await poller.pollOnce();

    expect(resultOf(spawn)).toEqual({
      command_id: spawn,
      status: 'completed',
      result: {
        process_id: 'inst-new',
        server_type: 'stdio',
        pid: expect.any(Number),
        startup_time_ms: 12,
      },
    });
    expect(h.servers.servers.get('inst-new')).toMatchObject({
      slug: 'fetch',
      team: 'team-a',
      userId: 'user-2',
      secrets: ['spawn-secret-4'],
    });
    expect(resultOf(killByName).result).toEqual({
      terminated: true,
      installation_id: 'inst-stdio',
    });
    expect(resultOf(restart).result).toEqual({ restarted: true, installation_id: 'inst-http' });
    expect(resultOf(tool).result).toEqual({
      tool_status_updated: true,
      installation_id: 'inst-http',
      tool_name: 'search',
      is_disabled: true,
    });
    expect(h.servers.disabledTools.has('inst-http/search')).toBe(true);
    expect(resultOf(probe).result).toEqual({
      health_check: {
        checked: 3,
        healthy: 3,
        unhealthy: 0,
        servers: expect.arrayContaining([{ installation_id: 'inst-http', healthy: true }]),
      },
    });
    expect(resultOf(creds).result).toEqual({
      credential_validation: {
        installation_id: 'inst-http',
        valid: false,
        error: 'upstream answered 401',
        needs_reauth: true,
      },
    });
    expect(resultOf(killUnknown)).toEqual({
      command_id: killUnknown,
      status: 'failed',
      error_message: 'no installation inst-nope on this satellite',
    });
    expect(resultOf(killNothing)).toMatchObject({
      status: 'failed',
      error_message:
        'kill command: payload.installation_id or payload.installation_name is required',
    });
    const ids = [spawn, killByName, restart, tool, probe, creds, killUnknown, killNothing];
    expect(backend.commandResults.filter((r) => ids.includes(r.command_id as string))).toHaveLength(
      ids.length,
    );
  });

  it('runs a redelivered command once and re-sends only its result', async () => {
    const id = backend.queueCommand({
      command_type: 'restart',
      priority: 'high',
      payload: { installation_id: 'inst-stdio' },
    });
    backend.fail('command-result', { kind: 'status', status: 503 }, 1);
    await poller.pollOnce();
    expect(resultsFor(id)).toHaveLength(0);
    expect(h.servers.operations.filter((o) => o === 'restart:inst-stdio')).toHaveLength(1);

    // The backend got no result, so it delivers the command again.
    backend.redeliver(id);
    await poller.pollOnce();
    await poller.pollOnce();
    expect(h.servers.operations.filter((o) => o === 'restart:inst-stdio')).toHaveLength(1);
    expect(resultOf(id)).toMatchObject({ status: 'completed', result: { restarted: true } });

    // Delivered yet again after its result went through: neither run nor reported again.
    backend.redeliver(id);
    await poller.pollOnce();
    expect(h.servers.operations.filter((o) => o === 'restart:inst-stdio')).toHaveLength(1);
    expect(resultsFor(id)).toHaveLength(1);
  });

  it('approve_tool_changes (a satellite-side extension): approves the named tool set only', async () => {
    const current = 'c'.repeat(64);
    h.servers.toolSetHashes.set('inst-http', current);
    const wrong = backend.queueCommand({
      command_type: 'approve_tool_changes',
      payload: { installation_id: 'inst-http', tools_hash: 'f'.repeat(64) },
    });
    const right = backend.queueCommand({
      command_type: 'approve_tool_changes',
      payload: { installation_id: 'inst-http', tools_hash: current },
    });
    const missing = backend.queueCommand({
      command_type: 'approve_tool_changes',
      payload: { installation_id: 'inst-http' },
    });
    await poller.pollOnce();
    expect(resultOf(wrong)).toMatchObject({
      status: 'failed',
      error_message: `tools_hash ${'f'.repeat(64)} is not the current tool set of inst-http (${current}); nothing approved`,
    });
    expect(resultOf(right)).toMatchObject({
      status: 'completed',
      result: { tools_approved: true, installation_id: 'inst-http', tools_hash: current },
    });
    expect(resultOf(missing)).toMatchObject({ status: 'failed' });
    expect((resultOf(missing) as { error_message: string }).error_message).toContain('tools_hash');
    expect(h.servers.operations).toContain(`approve:inst-http:${current}`);
  });

  it('fails an unknown command type with a clear error_message', async () => {
    const id = backend.queueCommand({ command_type: 'reboot' });
    await poller.pollOnce();
    expect(resultOf(id)).toEqual({
      command_id: id,
      status: 'failed',
      error_message:
        'unknown command type "reboot"; this satellite handles: approve_tool_changes, configure, health_check, invalidate_user_token_cache, kill, restart, spawn',
    });
  });

  it('fails expired commands: by expires_at, and by waiting more than 5 minutes after receipt', async () => {
    const past = backend.queueCommand({
      command_type: 'restart',
      payload: { installation_id: 'inst-stdio' },
      expires_at: new Date(h.clock.now() - 1000).toISOString(),
    });
    await poller.pollOnce();
    expect(resultOf(past)).toMatchObject({
      status: 'failed',
      error_message: expect.stringMatching(/^command expired: expires_at .* has passed$/),
    });

    // Four slow configures (100 s each on the fake clock, within the 120 s command timeout) make
    // the low-priority command behind them expire.
    h.servers.onApply = () => h.clock.advance(100_000);
    const slow = [1, 2, 3, 4].map(() =>
      backend.queueCommand({ command_type: 'configure', priority: 'normal' }),
    );
    const late = backend.queueCommand({
      command_type: 'restart',
      priority: 'low',
      payload: { installation_id: 'inst-stdio' },
    });
    await poller.pollOnce();
    expect(slow.map((c) => resultOf(c).status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    expect(resultOf(late)).toMatchObject({
      status: 'failed',
      error_message: 'command expired: received 400 s ago, more than 5 minutes',
    });
    expect(h.servers.operations.filter((o) => o.startsWith('restart'))).toEqual([]);
  });

  it('processes one poll in priority order', async () => {
    const order = [
      ['low', 'inst-stdio'],
      ['normal', 'inst-http'],
      ['immediate', 'inst-stdio'],
      ['high', 'inst-http'],
    ] as const;
    for (const [priority, id] of order) {
      backend.queueCommand({
        command_type: 'health_check',
        priority,
        payload: { check_type: 'credential_validation', installation_id: id },
      });
    }
    await poller.pollOnce();
    expect(h.servers.operations.filter((o) => o.startsWith('validate'))).toEqual([
      'validate:inst-stdio',
      'validate:inst-http',
      'validate:inst-http',
      'validate:inst-stdio',
    ]);
  });
});
