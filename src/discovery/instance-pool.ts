import { Logger } from '@nestjs/common';
import { Clock } from '../events/clock.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  IsolatedCircuitError,
} from 'cockatiel';
import type { ResilienceSettings } from '../config/satellite-config.js';
import type { HttpServerDefinition } from '../config/server-definition.js';
import { breakerState, newBreaker } from './breaker-policy.js';
import {
  CallCancelled,
  InstanceNotReachedError,
  describeError,
  NoInstanceInRotationError,
  isInstanceFailure,
  notReached,
} from './call-failure.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { CircuitOpenError } from './discovery.errors.js';
import { HttpUpstream } from './http-upstream.js';
import type { CallOptions, UpstreamConnection } from './upstream-connection.js';
import type { PoolHooks, PoolView } from './pool-view.js';
import { type Instance, instanceView, inRotation } from './pool-instance.js';
import { growingLru } from '../events/growing-lru.js';

export type { InstanceState, InstanceView, PoolHooks, PoolView } from './pool-view.js';

const AFFINITY_MAX = 10_000;
const AFFINITY_TTL_MS = 60 * 60_000;

/**
 * One HTTP/SSE server as a pool of instances (one or more URLs serving the same server): each
 * instance has its own long-lived MCP session (HttpUpstream) and circuit breaker; the server has
 * a breaker and a concurrency limit with a bounded queue (docs/operations.md "Instance pools").
 *
 * - A call goes to the healthy instance with the fewest outstanding calls; calls of one
 *   downstream session stay on the instance it was first given while that instance is in
 *   rotation (what the upstream session holds stays where it is), and move only when it is gone.
 * - A failed call is sent to another instance only when it cannot have reached the first
 *   (connection refused, not connected, breaker open) or the caller says it is `retryable`.
 * - Active checks `ping` each instance on a jittered interval; passive detection is the
 *   instance breaker (consecutive failures, timeouts, error rate) plus an immediate check when a
 *   transport reports an error. An ejected instance comes back after one successful probe.
 */
export class InstancePool implements UpstreamConnection {
  private readonly logger = new Logger(InstancePool.name);
  private readonly instances: Instance[];
  private readonly breaker: CircuitBreakerPolicy;
  private readonly limit: ConcurrencyLimit;
  private readonly affinity = growingLru<string, Instance>(AFFINITY_MAX, { ttl: AFFINITY_TTL_MS });
  private openedAt?: number;
  private closed = false;
  private readonly totals = { busy: 0, breaker_open: 0, retries: 0 };

  constructor(
    readonly def: HttpServerDefinition,
    private readonly settings: ResilienceSettings,
    createClient: () => Client,
    private readonly hooks: PoolHooks,
    private readonly clock: Clock = new Clock(),
  ) {
    const urls = def.urls?.length ? def.urls : [def.url];
    this.instances = urls.map((url) => this.newInstance(url, createClient));
    this.breaker = newBreaker(settings, isInstanceFailure);
    this.breaker.onBreak(() => {
      this.openedAt = this.clock.now();
      this.logger.warn(`server ${def.slug}: circuit breaker open, calls fail fast`);
    });
    this.breaker.onReset(() => {
      this.openedAt = undefined;
      this.logger.log(`server ${def.slug}: circuit breaker closed`);
    });
    this.limit = new ConcurrencyLimit(def.slug, settings, () => {
      this.totals.busy++;
      hooks.onRejected('busy');
    });
  }

  private newInstance(url: string, createClient: () => Client): Instance {
    const instance: Instance = {
      url,
      upstream: new HttpUpstream({ ...this.def, url }, () => {
        const client = createClient();
        // A broken stream or a failed send is a hint the instance died: check it now, once the
        // pool is up (before that, a failed or aborted discovery is the discovery retry's to
        // repeat, on its backoff). With active checks off (interval 0), only the breakers take
        // an instance out.
        if (this.settings.healthIntervalMs > 0)
          client.onerror = () => {
            if (this.monitoring) void this.check(instance, true);
          };
        return client;
      }),
      breaker: newBreaker(this.settings, isInstanceFailure),
      outstanding: 0,
      calls: 0,
      failedChecks: 0,
      ejections: 0,
    };
    instance.breaker.onBreak((reason) => {
      if ('isolated' in reason) return; // failed checks: eject() logged it
      this.ejected(instance, `breaker open: ${describeError(failureOf(reason))}`);
    });
    instance.breaker.onReset(() => this.readmitted(instance));
    return instance;
  }

  /**
   * Connects every instance and resolves as soon as one is up; the others go on connecting, and
   * those that fail are ejected until a health probe passes. `signal` (the discovery's timeout)
   * stops every attempt: pending requests are aborted and their clients closed.
   */
  /** Whether health checks run: from the first successful connect on. */
  private monitoring = false;

  async connect(signal?: AbortSignal): Promise<void> {
    const attempts = this.instances.map((instance) =>
      instance.upstream.connect(signal).then(
        () => {
          if (!instance.isolation) return;
          instance.isolation.dispose(); // connected again (a discovery retry): back in rotation
          instance.isolation = undefined;
        },
        (err: unknown) => {
          this.eject(instance, describeError(err));
          throw err;
        },
      ),
    );
    try {
      await Promise.any(attempts);
    } catch (err) {
      throw (err as AggregateError).errors[0] as Error;
    }
    this.startChecks();
  }

  async withClient<T>(fn: (client: Client) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    if (this.closed) throw new Error('connection closed');
    // Half-open: one probe call is under way; everyone else fails fast rather than waiting on it.
    if (this.breaker.state === CircuitState.HalfOpen)
      throw this.openError('a probe call is under way');
    try {
      return await this.limit.run(
        () => this.breaker.execute(() => this.dispatch(fn, opts)),
        opts.signal,
      );
    } catch (err) {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
        throw this.openError(this.retryIn());
      }
      throw err instanceof CallCancelled ? err.original : err;
    }
  }

  private openError(detail: string): CircuitOpenError {
    this.totals.breaker_open++;
    this.hooks.onRejected('breaker_open');
    const last = this.breaker.lastFailure;
    const cause = last && 'error' in last ? `; last failure: ${describeError(last.error)}` : '';
    return new CircuitOpenError(this.def.slug, `${detail}${cause}`);
  }

  private retryIn(): string {
    if (this.openedAt === undefined) return 'failing fast';
    const left = this.openedAt + this.settings.breakerHalfOpenAfterMs - this.clock.now();
    return left > 0
      ? `failing fast; next probe in ${Math.ceil(left / 1000)} s`
      : 'failing fast; the next call probes';
  }

  /** Picks an instance, runs the call, and sends it elsewhere when that is safe. */
  private async dispatch<T>(fn: (client: Client) => Promise<T>, opts: CallOptions): Promise<T> {
    const tried = new Set<Instance>();
    let lastError: unknown;
    for (;;) {
      const instance = this.pick(opts.affinity, tried);
      if (!instance) {
        if (lastError !== undefined) throw lastError as Error;
        throw new NoInstanceInRotationError(this.def.slug, this.instances.length);
      }
      tried.add(instance);
      try {
        return await this.runOn(instance, fn, opts);
      } catch (err) {
        if (err instanceof CallCancelled) throw err;
        const again = notReached(err) || (opts.retryable === true && isInstanceFailure(err));
        if (!again || tried.size >= this.instances.length) throw err;
        lastError = err;
        this.totals.retries++;
        this.hooks.onRetry();
      }
    }
  }

  private async runOn<T>(
    instance: Instance,
    fn: (client: Client) => Promise<T>,
    opts: CallOptions,
  ): Promise<T> {
    instance.outstanding++;
    instance.calls++;
    try {
      return await instance.breaker.execute(async () => {
        try {
          await instance.upstream.connect();
        } catch (err) {
          throw new InstanceNotReachedError(instance.url, describeError(err), { cause: err });
        }
        try {
          return await instance.upstream.withClient(fn);
        } catch (err) {
          throw opts.signal?.aborted ? new CallCancelled(err) : err;
        }
      });
    } catch (err) {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
        throw new InstanceNotReachedError(instance.url, 'its breaker is open', { cause: err });
      }
      if (isInstanceFailure(err)) instance.lastError = describeError(err);
      throw err;
    } finally {
      instance.outstanding--;
    }
  }

  /**
   * The session's instance while it is in rotation, else the in-rotation instance with the
   * fewest outstanding calls; with none in rotation, an ejected one whose breaker may let a
   * probe call through (cockatiel refuses at once while its wait is not over).
   */
  private pick(affinity: string | undefined, tried: ReadonlySet<Instance>): Instance | undefined {
    const sticky = affinity !== undefined ? this.affinity.get(affinity) : undefined;
    if (sticky && !tried.has(sticky) && inRotation(sticky)) return sticky;
    let best: Instance | undefined;
    for (const i of this.instances) {
      if (tried.has(i) || !inRotation(i)) continue;
      if (!best || i.outstanding < best.outstanding) best = i;
    }
    best ??= this.instances.find(
      (i) => !tried.has(i) && !i.isolation && i.breaker.state === CircuitState.Open,
    );
    if (best && affinity !== undefined && inRotation(best)) this.affinity.set(affinity, best);
    return best;
  }

  // ---- health -------------------------------------------------------------------------------

  private startChecks(): void {
    if (this.settings.healthIntervalMs <= 0) return;
    this.monitoring = true;
    for (const instance of this.instances) this.schedule(instance);
  }

  private schedule(instance: Instance): void {
    if (this.closed || instance.timer) return;
    // ±20 % jitter, so checks of many instances (and replicas) do not line up.
    const delay = this.settings.healthIntervalMs * (0.8 + Math.random() * 0.4);
    instance.timer = this.clock.after(delay, () => {
      instance.timer = undefined;
      void this.check(instance, false).finally(() => this.schedule(instance));
    });
  }

  /**
   * One active check: `ping`. A suspected instance (its transport reported an error) is pinged
   * up to `unhealthyAfter` times in a row at once. An ejected instance is re-admitted by one
   * successful ping: through its breaker when that is open (the half-open probe), or by lifting
   * the isolation that failed checks put on it.
   */
  private check(instance: Instance, suspect: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    instance.checking ??= this.checkNow(instance, suspect).finally(
      () => (instance.checking = undefined),
    );
    return instance.checking;
  }

  private async checkNow(instance: Instance, suspect: boolean): Promise<void> {
    const rounds = suspect ? this.settings.unhealthyAfter : 1;
    for (let n = 0; n < rounds && !this.closed; n++) {
      instance.lastCheckAt = new Date().toISOString();
      const state = instance.breaker.state;
      if (state === CircuitState.HalfOpen) return; // a probe call is under way
      if (state === CircuitState.Open) {
        try {
          await instance.breaker.execute(() => this.ping(instance));
        } catch {
          // still open (the wait is not over, or the probe failed and reopened it)
        }
        return;
      }
      try {
        await this.ping(instance);
        instance.failedChecks = 0;
        if (instance.isolation) {
          instance.isolation.dispose();
          instance.isolation = undefined; // onReset re-admits it
        }
        return;
      } catch (err) {
        instance.failedChecks++;
        instance.lastError = describeError(err);
        if (instance.failedChecks >= this.settings.unhealthyAfter)
          this.eject(instance, instance.lastError);
        if (instance.isolation) return;
      }
    }
  }

  private async ping(instance: Instance): Promise<void> {
    await instance.upstream.connect();
    await instance.upstream.withClient((c) => c.ping({ timeout: this.settings.healthTimeoutMs }));
  }

  /** Takes an instance out of rotation after failed checks (its breaker is isolated). */
  private eject(instance: Instance, reason: string): void {
    // Without active checks nothing would lift the isolation: only the breakers take it out.
    if (instance.isolation || this.settings.healthIntervalMs <= 0) return;
    instance.isolation = instance.breaker.isolate();
    this.ejected(instance, `failed health checks: ${reason}`);
  }

  private ejected(instance: Instance, reason: string): void {
    if (instance.out) return; // a failed probe reopened its breaker: still the same ejection
    instance.out = true;
    instance.ejections++;
    this.hooks.onEjected(instance.url);
    for (const [key, value] of this.affinity.entries()) {
      if (value === instance) this.affinity.delete(key);
    }
    this.logger.warn(`server ${this.def.slug}: instance ${instance.url} ejected (${reason})`);
    // Calls still waiting on it fail now (ConnectionClosed) instead of at their timeout.
    void instance.upstream.drop();
  }

  private readmitted(instance: Instance): void {
    instance.out = false;
    instance.failedChecks = 0;
    this.logger.log(`server ${this.def.slug}: instance ${instance.url} back in rotation`);
  }

  // ---- views --------------------------------------------------------------------------------

  view(): PoolView {
    const last = this.breaker.lastFailure;
    return {
      instances: this.instances.map(instanceView),
      breaker: {
        state: breakerState(this.breaker),
        opened_at: this.openedAt !== undefined ? new Date(this.openedAt).toISOString() : null,
        ...(last && 'error' in last ? { last_failure: describeError(last.error) } : {}),
      },
      concurrency: this.limit.view(),
      totals: { ...this.totals },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const i of this.instances) i.timer?.cancel();
    await Promise.all(this.instances.map((i) => i.upstream.close()));
  }
}

function failureOf(reason: { error: unknown } | { value: unknown }): unknown {
  return 'error' in reason ? reason.error : reason.value;
}
