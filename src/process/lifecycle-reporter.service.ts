import { Injectable, Logger } from '@nestjs/common';
import type { StdioServerDefinition } from '../config/server-definition.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { SatelliteEventMap, ServerLogEntry } from '../events/event-map.js';
import { type ProcessState, toServerStatus } from './process-state.js';

type Crash = Omit<SatelliteEventMap['mcp.server.crashed'], 'server_id' | 'server_slug' | 'team_id'>;
type Limit = SatelliteEventMap['resource.limit.exceeded']['limit'];

/**
 * Lifecycle facts → typed events (docs/backend-contract.md "Events") and log lines, in one place.
 */
@Injectable()
export class LifecycleReporter {
  private readonly logger = new Logger('ProcessLifecycle');
  private readonly garbageCounts = new Map<string, number>();

  constructor(private readonly events: EventBusService) {}

  stateChanged(
    def: StdioServerDefinition,
    from: ProcessState,
    to: ProcessState,
    message?: string,
  ): void {
    const line = `${def.slug} (${def.team}): ${from} → ${to}${message ? `: ${message}` : ''}`;
    if (to === 'crashed' || to === 'permanently_failed') this.logger.warn(line);
    else this.logger.log(line);
    this.events.emit('mcp.server.status_changed', {
      installation_id: def.id,
      team_id: def.team,
      ...(def.userId ? { user_id: def.userId } : {}),
      status: toServerStatus(to),
      ...(message ? { status_message: message } : {}),
      timestamp: new Date().toISOString(),
    });
  }

  started(def: StdioServerDefinition, pid: number, toolCount: number, spawnMs: number): void {
    this.events.emit('mcp.server.started', {
      ...this.ids(def),
      ...(def.userId ? { user_id: def.userId } : {}),
      process_id: pid,
      transport: 'stdio',
      tool_count: toolCount,
      spawn_duration_ms: spawnMs,
    });
  }

  crashed(def: StdioServerDefinition, crash: Crash): void {
    this.events.emit('mcp.server.crashed', { ...this.ids(def), ...crash });
  }

  restarted(def: StdioServerDefinition, pid: number, restartCount: number): void {
    this.events.emit('mcp.server.restarted', {
      ...this.ids(def),
      process_id: pid,
      restart_count: restartCount,
    });
  }

  dormant(def: StdioServerDefinition, idleSeconds: number): void {
    this.events.emit('mcp.server.dormant', { ...this.ids(def), idle_seconds: idleSeconds });
  }

  respawned(def: StdioServerDefinition, pid: number, respawnMs: number): void {
    this.events.emit('mcp.server.respawned', {
      ...this.ids(def),
      process_id: pid,
      respawn_duration_ms: respawnMs,
    });
  }

  permanentlyFailed(def: StdioServerDefinition, crashCount: number, lastError: string): void {
    this.logger.error(
      `${def.slug} (${def.team}) is permanently failed after ${crashCount} crashes: ${lastError}`,
    );
    this.events.emit('mcp.server.permanently_failed', {
      ...this.ids(def),
      crash_count: crashCount,
      last_error: lastError,
    });
  }

  stopped(def: StdioServerDefinition, reason: string): void {
    this.events.emit('mcp.server.stopped', { ...this.ids(def), reason });
  }

  limitExceeded(def: StdioServerDefinition, limit: Limit, detail: string): void {
    this.logger.warn(`${def.slug} (${def.team}) hit the ${limit} limit: ${detail}`);
    this.events.emit('resource.limit.exceeded', { ...this.ids(def), limit, detail });
  }

  stderrLine(def: StdioServerDefinition, entry: ServerLogEntry): void {
    const line = `[${def.slug}] ${entry.message}`;
    if (entry.level === 'error' || entry.level === 'warn') this.logger.warn(line);
    else this.logger.log(line);
  }

  logs(def: StdioServerDefinition, logs: ServerLogEntry[]): void {
    this.events.emit('mcp.server.logs', {
      installation_id: def.id,
      team_id: def.team,
      ...(def.userId ? { user_id: def.userId } : {}),
      logs,
    });
  }

  /** Non-JSON stdout: warned, with a budget per server (first 5, then every 100th). */
  garbage(def: StdioServerDefinition, line: string): void {
    const n = (this.garbageCounts.get(def.id) ?? 0) + 1;
    this.garbageCounts.set(def.id, n);
    if (n <= 5 || n % 100 === 0) {
      this.logger.warn(
        `${def.slug} wrote a non-JSON-RPC line on stdout (#${n}, ignored): ${JSON.stringify(line.slice(0, 200))}`,
      );
    }
  }

  forget(def: StdioServerDefinition): void {
    this.garbageCounts.delete(def.id);
  }

  private ids(def: StdioServerDefinition): {
    server_id: string;
    server_slug: string;
    team_id: string;
  } {
    return { server_id: def.id, server_slug: def.slug, team_id: def.team };
  }
}
