import { Injectable } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { SatelliteConfig } from '../config/satellite-config.js';

const LATENCY_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/**
 * The Prometheus registry and every metric the satellite exports (prom-client, conventional names
 * and base units). Like `events` and `config`, any module may import it: the modules that own a
 * figure record it where it happens; `status` only serves `/metrics` and reads gauges at scrape.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly sessionsOpen = new Gauge({
    name: 'satellite_sessions_open',
    help: 'Open MCP client sessions',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly sessionsCreated = new Counter({
    name: 'satellite_sessions_created_total',
    help: 'MCP client sessions created',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly sessionsClosed = new Counter({
    name: 'satellite_sessions_closed_total',
    help: 'MCP client sessions closed, by reason (idle = expired)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'satellite_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'satellite_http_request_duration_seconds',
    help: 'HTTP request duration (to the end of the response; SSE streams excluded)',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly toolCalls = new Counter({
    name: 'satellite_tool_calls_total',
    help: 'execute_mcp_tool calls by server, tool and outcome',
    labelNames: ['server', 'tool', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly toolCallDuration = new Histogram({
    name: 'satellite_tool_call_duration_seconds',
    help: 'Upstream tool call latency through execute_mcp_tool',
    labelNames: ['server', 'tool'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly discoverDuration = new Histogram({
    name: 'satellite_discover_duration_seconds',
    help: 'discover_mcp_tools latency',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });

  constructor(config: SatelliteConfig) {
    new Gauge({
      name: 'satellite_build_info',
      help: 'Build information (always 1)',
      labelNames: ['version', 'node_version'] as const,
      registers: [this.registry],
    }).set({ version: config.version, node_version: process.version }, 1);
    collectDefaultMetrics({ register: this.registry, prefix: 'satellite_' });
  }

  /** Adds a gauge whose value is read at scrape time. */
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => Array<{ labels: Record<L, string>; value: number }> | number,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        const value = read();
        this.reset();
        if (typeof value === 'number') this.set(value);
        else for (const v of value) this.set(v.labels as never, v.value);
      },
    });
  }

  /** Adds a counter whose monotonic total is read at scrape time (kept by its owner). */
  counter(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }
}
