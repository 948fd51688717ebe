import { Injectable, type OnModuleInit } from '@nestjs/common';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { EventBusService } from '../events/event-bus.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ProcessManagerService } from '../process/process-manager.service.js';
import type { ProcessHealth } from '../process/process-health.js';

/** Gauges read from the other modules at scrape time. */
@Injectable()
export class StatusMetricsService implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly upstreams: UpstreamManagerService,
    private readonly catalog: ToolCatalogService,
    private readonly processes: ProcessManagerService,
    private readonly events: EventBusService,
  ) {}

  onModuleInit(): void {
    const countBy = <T>(items: readonly T[], key: (t: T) => string): Array<[string, number]> => {
      const counts = new Map<string, number>();
      for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
      return [...counts];
    };
    this.metrics.gauge(
      'satellite_upstreams',
      'Upstream MCP servers by transport and status',
      ['transport', 'status'],
      () => {
        const counts = new Map<string, { transport: string; status: string; value: number }>();
        for (const u of this.upstreams.list()) {
          const k = `${u.def.transport}/${u.status}`;
          const c = counts.get(k) ?? { transport: u.def.transport, status: u.status, value: 0 };
          c.value++;
          counts.set(k, c);
        }
        return [...counts.values()].map(({ transport, status, value }) => ({
          labels: { transport, status },
          value,
        }));
      },
    );
    this.metrics.gauge('satellite_tools', 'Tools in the unified catalog', [], () =>
      this.catalog.size(),
    );
    this.metrics.gauge(
      'satellite_processes',
      'stdio server processes by lifecycle state',
      ['state'],
      () =>
        countBy(this.processes.list(), (p) => p.state).map(([state, value]) => ({
          labels: { state },
          value,
        })),
    );
    this.metrics.gauge(
      'satellite_process_restarts',
      'Restarts of each stdio server since it was configured',
      ['server'],
      () => this.processes.list().map((p) => ({ labels: { server: p.slug }, value: p.restarts })),
    );
    this.processHealthGauges();
    this.metrics.gauge(
      'satellite_events_emitted',
      'Events emitted since start, by type',
      ['type'],
      () =>
        Object.entries(this.events.emitted()).map(([type, value]) => ({ labels: { type }, value })),
    );
  }

  /**
   * Per running stdio server (label `server`: its slug, so as many series as servers), from its
   * health probe (docs/process.md "Health"). A figure not known yet has no series.
   */
  private processHealthGauges(): void {
    const per = (
      name: string,
      help: string,
      read: (h: ProcessHealth) => number | undefined,
    ): void =>
      this.metrics.gauge(name, help, ['server'], () =>
        this.processes.list().flatMap((p) => {
          const value = p.health && p.state === 'running' ? read(p.health) : undefined;
          return value === undefined ? [] : [{ labels: { server: p.slug }, value }];
        }),
      );
    per(
      'satellite_server_cpu_percent',
      'CPU of a stdio server process tree, % of one core since the previous sample',
      (h) => h.cpuPercent,
    );
    per(
      'satellite_server_memory_bytes',
      'Memory of a stdio server process tree (cgroup v2 memory.current, else the sum of RSS)',
      (h) => h.memoryBytes,
    );
    per(
      'satellite_server_ping_seconds',
      'Round trip of the last answered ping to a stdio server',
      (h) => (h.lastPingMs === undefined ? undefined : h.lastPingMs / 1000),
    );
    per(
      'satellite_server_unanswered_pings',
      'Pings in a row a running stdio server left unanswered',
      (h) => h.unansweredPings,
    );
    per(
      'satellite_server_responsive',
      'Whether a running stdio server answered its last ping (1) or not (0)',
      (h) => (h.verdict === 'unresponsive' ? 0 : 1),
    );
    per(
      'satellite_server_call_latency_seconds',
      'Mean round trip of the last 20 MCP requests to a stdio server',
      (h) => (h.calls ? h.calls.avgMs / 1000 : undefined),
    );
  }
}
