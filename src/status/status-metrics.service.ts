import { Injectable, type OnModuleInit } from '@nestjs/common';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { EventBusService } from '../events/event-bus.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ProcessManagerService } from '../process/process-manager.service.js';

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
    this.metrics.gauge(
      'satellite_events_emitted',
      'Events emitted since start, by type',
      ['type'],
      () =>
        Object.entries(this.events.emitted()).map(([type, value]) => ({ labels: { type }, value })),
    );
  }
}
