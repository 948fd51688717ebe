import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import type { ServerDefinition } from '../config/server-definition.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { BreakerState } from './breaker-policy.js';
import type { PoolHooks, PoolView } from './instance-pool.js';

const BREAKER_VALUE: Record<BreakerState, number> = {
  closed: 0,
  open: 1,
  half_open: 2,
  isolated: 3,
};

/**
 * The metrics of instance pools (docs/operations.md "Instance pools"): counters recorded as
 * things happen, gauges read from the pools at scrape time.
 */
@Injectable()
export class PoolMetrics {
  private readonly rejected: Counter<'server' | 'reason'>;
  private readonly retries: Counter<'server'>;
  private readonly ejections: Counter<'server' | 'instance'>;

  constructor(private readonly metrics: MetricsService) {
    const registers = [metrics.registry];
    this.rejected = new Counter({
      name: 'satellite_upstream_calls_rejected_total',
      help: 'Calls refused without reaching the server: busy (limit and queue full) or breaker_open',
      labelNames: ['server', 'reason'] as const,
      registers,
    });
    this.retries = new Counter({
      name: 'satellite_upstream_retries_total',
      help: 'Calls sent again to another instance of a pool after the first failed',
      labelNames: ['server'] as const,
      registers,
    });
    this.ejections = new Counter({
      name: 'satellite_upstream_instance_ejections_total',
      help: 'Times an instance was taken out of rotation (breaker open or failed health checks)',
      labelNames: ['server', 'instance'] as const,
      registers,
    });
  }

  hooksFor(def: ServerDefinition): PoolHooks {
    const server = def.slug;
    return {
      onRejected: (reason) => this.rejected.inc({ server, reason }),
      onRetry: () => this.retries.inc({ server }),
      onEjected: (url) => this.ejections.inc({ server, instance: instanceLabel(url) }),
    };
  }

  /** Registers the gauges; `read` lists every pool by server slug at scrape time. */
  watch(read: () => ReadonlyArray<{ server: string; pool: PoolView }>): void {
    const perInstance = (value: (i: PoolView['instances'][number]) => number) => () =>
      read().flatMap(({ server, pool }) =>
        pool.instances.map((i) => ({
          labels: { server, instance: instanceLabel(i.url) },
          value: value(i),
        })),
      );
    this.metrics.gauge(
      'satellite_upstream_instance_up',
      'An instance is in rotation (1) or ejected (0)',
      ['server', 'instance'],
      perInstance((i) => (i.state === 'healthy' ? 1 : 0)),
    );
    this.metrics.gauge(
      'satellite_upstream_instance_outstanding',
      'Calls running on an instance now',
      ['server', 'instance'],
      perInstance((i) => i.outstanding),
    );
    this.metrics.gauge(
      'satellite_upstream_instance_breaker_state',
      'Breaker of an instance: 0 closed, 1 open, 2 half-open, 3 isolated by failed checks',
      ['server', 'instance'],
      perInstance((i) => BREAKER_VALUE[i.breaker]),
    );
    this.metrics.gauge(
      'satellite_upstream_breaker_state',
      'Breaker of a server: 0 closed, 1 open, 2 half-open',
      ['server'],
      () =>
        read().map(({ server, pool }) => ({
          labels: { server },
          value: BREAKER_VALUE[pool.breaker.state],
        })),
    );
    this.metrics.gauge(
      'satellite_upstream_calls_queued',
      'Calls waiting for a slot under the server concurrency limit',
      ['server'],
      () =>
        read().map(({ server, pool }) => ({ labels: { server }, value: pool.concurrency.queued })),
    );
  }
}

/** An instance's label: its origin and path, never its query string or credentials. */
export function instanceLabel(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
