import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ProcessHealthConfig } from '../config/satellite-config.js';
import type { CallLatency, LatencySummary } from './call-latency.js';
import type { Clock, TimerHandle } from '../events/clock.js';
import type { ResourceSampler } from './resource-sampler.js';
import type { CgroupHandle } from './sandbox/cgroup-handle.js';

/**
 * `healthy`: running, and it answered its handshake and every ping since; `unresponsive`: running,
 * but the last ping went unanswered; `unknown`: not running (starting, dormant, crashed, …).
 */
export type HealthVerdict = 'healthy' | 'unresponsive' | 'unknown';

/** One server's health as the debug route, /metrics and the heartbeat see it. */
export interface ProcessHealth {
  verdict: HealthVerdict;
  /** Pings in a row without an answer within the timeout (0 after an answer or a new process). */
  unansweredPings: number;
  /** Round trip of the last answered ping. */
  lastPingMs?: number;
  /** When the last ping was answered or given up (ISO). */
  lastPingAt?: string;
  /** CPU of the whole tree, in % of one core, since the previous sample (>= 1 s earlier). */
  cpuPercent?: number;
  memoryBytes?: number;
  memorySource?: 'cgroup' | 'proc';
  processCount?: number;
  /** Round trips of the MCP requests sent to the process (tools/call, tools/list, …). */
  calls?: LatencySummary;
}

/** The running process of a supervisor, for the probe (ProcessSupervisor.running). */
export interface ProbeTarget {
  /** Changes with every new process: a result for an older one is dropped. */
  readonly generation: number;
  readonly pid?: number;
  readonly cgroup?: CgroupHandle;
  readonly client: Client;
  readonly calls: CallLatency;
}

export interface HealthProbeDeps {
  readonly slug: string;
  readonly running: () => ProbeTarget | undefined;
  /** Kills the process of `generation` with the reason; its exit follows the crash policy. */
  readonly killUnresponsive: (generation: number, reason: string) => boolean;
  readonly sampler: ResourceSampler;
  readonly clock: Clock;
  readonly config: ProcessHealthConfig;
  readonly log: { warn(line: string): void };
  readonly random?: () => number;
}

class PingTimeout extends Error {}

/** A ping answered, unanswered (timed out), or moot (the process went away meanwhile). */
type PingOutcome = { answered: true; ms: number } | { answered: false } | undefined;

/** CPU % needs two samples at least this far apart. */
const CPU_WINDOW_MS = 1000;

/**
 * The health of one stdio server (docs/process.md "Health"): a `ping` every interval (±20 %
 * jitter, so servers started together are not probed in lockstep), CPU and memory of its whole
 * tree, and the latency of its recent MCP requests. After `unresponsiveAfter` pings in a row
 * went unanswered while the process lives, it is killed with the reason and restarted by the
 * supervisor's crash policy (backoff, crash window, events, logs), when so configured.
 */
export class HealthProbe {
  private generation?: number;
  private unanswered = 0;
  private lastPingMs?: number;
  private lastPingAt?: number;
  private cpuBase?: { at: number; cpuSeconds: number };
  private cpuPercent?: number;
  private usage?: { at: number; health: Partial<ProcessHealth> };
  private timer?: TimerHandle;
  private stopped = false;

  constructor(private readonly deps: HealthProbeDeps) {}

  start(): void {
    if (this.deps.config.pingIntervalMs > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  snapshot(): ProcessHealth {
    const target = this.deps.running();
    if (!target) return { verdict: 'unknown', unansweredPings: 0 };
    this.follow(target.generation);
    const calls = target.calls.summary();
    return {
      verdict: this.unanswered > 0 ? 'unresponsive' : 'healthy',
      unansweredPings: this.unanswered,
      ...(this.lastPingMs !== undefined ? { lastPingMs: this.lastPingMs } : {}),
      ...(this.lastPingAt ? { lastPingAt: new Date(this.lastPingAt).toISOString() } : {}),
      ...this.sample(target),
      ...(calls ? { calls } : {}),
    };
  }

  /** One probe round (the timer calls it; tests may too). */
  async probe(): Promise<void> {
    const target = this.deps.running();
    if (!target) return;
    this.follow(target.generation);
    this.sample(target);
    const outcome = await this.ping(target);
    if (!outcome || this.stopped || this.generation !== target.generation) return;
    this.lastPingAt = this.deps.clock.now();
    if (outcome.answered) {
      this.lastPingMs = outcome.ms;
      this.unanswered = 0;
      return;
    }
    const { config, log, slug } = this.deps;
    this.unanswered++;
    log.warn(
      `${slug}: ping ${this.unanswered} in a row unanswered within ${config.pingTimeoutMs} ms`,
    );
    if (config.restartUnresponsive && this.unanswered >= config.unresponsiveAfter) {
      const reason = `unresponsive: ${this.unanswered} pings unanswered`;
      if (this.deps.killUnresponsive(target.generation, reason))
        log.warn(`${slug} is ${reason} while its process lives; killing it to restart it`);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const { pingIntervalMs } = this.deps.config;
    const jitter = 0.8 + 0.4 * (this.deps.random ?? Math.random)();
    this.timer = this.deps.clock.after(Math.round(pingIntervalMs * jitter), () => {
      void this.probe()
        .catch((err: Error) =>
          this.deps.log.warn(`${this.deps.slug}: probe failed: ${err.message}`),
        )
        .finally(() => this.schedule());
    });
  }

  private async ping(target: ProbeTarget): Promise<PingOutcome> {
    const { clock, config } = this.deps;
    const abort = new AbortController();
    const timer = clock.after(config.pingTimeoutMs, () => abort.abort(new PingTimeout()));
    const t0 = clock.now();
    try {
      await target.client.ping({ signal: abort.signal, timeout: config.pingTimeoutMs });
      return { answered: true, ms: clock.now() - t0 };
    } catch (err) {
      if (err instanceof PingTimeout) return { answered: false };
      if (err instanceof McpError) {
        if (err.code === (ErrorCode.RequestTimeout as number)) return { answered: false };
        // The process is gone: its exit is the supervisor's business, not a missed ping.
        if (err.code === (ErrorCode.ConnectionClosed as number)) return undefined;
        // Any other JSON-RPC error (a server without `ping`) is still an answer.
        return { answered: true, ms: clock.now() - t0 };
      }
      return undefined;
    } finally {
      timer.cancel();
    }
  }

  /** A new process starts with a clean record. */
  private follow(generation: number): void {
    if (this.generation === generation) return;
    this.generation = generation;
    this.unanswered = 0;
    this.lastPingMs = undefined;
    this.lastPingAt = undefined;
    this.cpuBase = undefined;
    this.cpuPercent = undefined;
    this.usage = undefined;
  }

  private sample(target: ProbeTarget): Partial<ProcessHealth> {
    const now = this.deps.clock.now();
    if (this.usage && now - this.usage.at < CPU_WINDOW_MS) return this.usage.health;
    const usage =
      target.pid === undefined ? undefined : this.deps.sampler.sample(target.pid, target.cgroup);
    if (!usage) return {};
    if (!this.cpuBase) this.cpuBase = { at: now, cpuSeconds: usage.cpuSeconds };
    else if (now - this.cpuBase.at >= CPU_WINDOW_MS) {
      const share = (usage.cpuSeconds - this.cpuBase.cpuSeconds) / ((now - this.cpuBase.at) / 1000);
      // A child that exited takes its CPU time out of a /proc sum: never below zero.
      this.cpuPercent = Math.max(0, Math.round(share * 1000) / 10);
      this.cpuBase = { at: now, cpuSeconds: usage.cpuSeconds };
    }
    const health: Partial<ProcessHealth> = {
      ...(this.cpuPercent !== undefined ? { cpuPercent: this.cpuPercent } : {}),
      memoryBytes: usage.memoryBytes,
      memorySource: usage.source,
      processCount: usage.processes,
    };
    this.usage = { at: now, health };
    return health;
  }
}
