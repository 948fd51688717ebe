import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { SatelliteEvent } from '../events/event-map.js';
import { PersistedCatalogService } from './persisted-catalog.service.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(dataDir?: string) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'catalog-spec-'));
  if (!dataDir) dirs.push(dir);
  const config = SatelliteConfig.of({
    dataDir: dir,
    catalog: { toolPinning: 'warn', callWaitMs: 1000, recheckIntervalMs: 0, recheckStdio: false },
  } as SatelliteConfig);
  const bus = new EventBusService();
  const events: SatelliteEvent[] = [];
  bus.subscribe((e) => void events.push(e));
  return { dir, service: new PersistedCatalogService(config, bus), events };
}

const server = (extra: Partial<ServerDefinition> = {}): ServerDefinition =>
  ({
    id: 'srv',
    slug: 'srv',
    team: 'default',
    enabled: true,
    transport: 'http',
    url: 'http://127.0.0.1:9/mcp',
    headers: {},
    secrets: [],
    ...extra,
  }) as ServerDefinition;
const tool = (name: string, description: string): Tool => ({
  name,
  description,
  inputSchema: { type: 'object' },
});
const names = (tools: readonly Tool[]) => tools.map((t) => t.name);

describe('PersistedCatalogService', () => {
  it('restores the last good listing only under the same config, across reopening', () => {
    const first = setup();
    first.service.remember(server(), [tool('a', 'A')]);
    first.service.onApplicationShutdown();

    const second = setup(first.dir);
    expect(second.service.restore(server())).toEqual([tool('a', 'A')]);
    // The pinning fields decide what is served, not what the server lists: same listing.
    expect(second.service.restore(server({ toolPinning: 'hold' }))).toEqual([tool('a', 'A')]);
    // Another URL is another server: its old tools are not served.
    expect(second.service.restore(server({ url: 'http://127.0.0.1:10/mcp' }))).toBeUndefined();
    expect(second.service.restore(server({ id: 'other', slug: 'other' }))).toBeUndefined();
    second.service.onApplicationShutdown();
  });

  it('pins on first use and reports a change once per distinct tool set (warn serves it)', () => {
    const { service, events } = setup();
    const def = server();
    expect(names(service.review(def, [tool('a', 'A'), tool('b', 'B')], true))).toEqual(['a', 'b']);
    expect(service.stateOf('srv')?.changes).toEqual([]);
    expect(events.filter((e) => e.type === 'mcp.tools.changed')).toHaveLength(0);

    const changed = [tool('a', 'A, reworded'), tool('c', 'C')];
    expect(names(service.review(def, changed, true))).toEqual(['a', 'c']);
    service.review(def, changed, true); // the same set again: no second event
    const reported = events.filter((e) => e.type === 'mcp.tools.changed');
    expect(reported).toHaveLength(1);
    expect(reported[0].data).toMatchObject({
      installation_id: 'srv',
      server_slug: 'srv',
      policy: 'warn',
      held_tools: [],
      changes: [
        { tool: 'a', kind: 'changed', fields: ['description'] },
        { tool: 'b', kind: 'removed' },
        { tool: 'c', kind: 'added' },
      ],
    });
    service.onApplicationShutdown();
  });

  it('under hold serves only unchanged tools until approvedToolsHash names the new set', () => {
    const { service } = setup();
    const hold = server({ toolPinning: 'hold' });
    service.review(hold, [tool('a', 'A'), tool('b', 'B')], true);
    const next = [tool('a', 'A'), tool('b', 'B, changed'), tool('c', 'C')];
    expect(names(service.review(hold, next, true))).toEqual(['a']);
    const state = service.stateOf('srv')!;
    expect(state.held_tools).toEqual(['b', 'c']);

    // A wrong hash approves nothing; the right one re-pins the current set.
    const wrong = server({ toolPinning: 'hold', approvedToolsHash: 'f'.repeat(64) });
    expect(names(service.review(wrong, next, true))).toEqual(['a']);
    const right = server({ toolPinning: 'hold', approvedToolsHash: state.current_set_hash });
    expect(names(service.review(right, next, true))).toEqual(['a', 'b', 'c']);
    expect(service.stateOf('srv')).toMatchObject({
      changes: [],
      held_tools: [],
      pinned_set_hash: state.current_set_hash,
    });
    service.onApplicationShutdown();
  });

  it('approves by command only the tool set it names, and keeps the approval', () => {
    const first = setup();
    const hold = server({ toolPinning: 'hold' });
    first.service.review(hold, [tool('a', 'A')], true);
    const next = [tool('a', 'A, changed')];
    expect(first.service.review(hold, next, true)).toEqual([]);
    const { current_set_hash } = first.service.stateOf('srv')!;
    expect(first.service.approve(hold, next, 'f'.repeat(64))).toEqual({
      approved: false,
      currentSetHash: current_set_hash,
    });
    expect(first.service.approve(hold, next, current_set_hash).approved).toBe(true);
    first.service.onApplicationShutdown();
    const second = setup(first.dir);
    expect(names(second.service.review(hold, next, true))).toEqual(['a']);
    second.service.onApplicationShutdown();
  });

  it('keeps pins across reopening: a restored listing is checked, not re-pinned', () => {
    const first = setup();
    first.service.review(server({ toolPinning: 'hold' }), [tool('a', 'A')], true);
    first.service.onApplicationShutdown();
    const second = setup(first.dir);
    expect(
      names(second.service.review(server({ toolPinning: 'hold' }), [tool('a', 'A2')], false)),
    ).toEqual([]);
    // Restored, not listed: nothing is reported yet.
    expect(second.events.filter((e) => e.type === 'mcp.tools.changed')).toHaveLength(0);
    second.service.onApplicationShutdown();
  });
});
