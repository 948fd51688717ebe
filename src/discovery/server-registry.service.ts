import { Injectable, Logger } from '@nestjs/common';
import { SecretRedactor } from '../config/secret-redactor.js';
import { type ServerDefinition, serverFingerprint } from '../config/server-definition.js';
import { EventBusService } from '../events/event-bus.service.js';
import { UpstreamManagerService } from './upstream-manager.service.js';

export interface RegistryDiff {
  readonly added: number;
  readonly removed: number;
  readonly modified: number;
  readonly unchanged: number;
}

/**
 * The desired state: which MCP servers exist. Every configuration source (the standalone file
 * watcher, the backend's config sync) hands in the full desired set; only what changed is
 * touched (docs/architecture.md "Registry diff"). Changes of the desired set are serialized so two
 * quick edits never interleave; each server's own operations (add, remove) go, in that order, to
 * its one owner (ServerOwner, docs/process.md "Lifecycle") and are awaited outside that queue:
 * a later edit never waits for an earlier start (a removal supersedes a hung start at once).
 */
@Injectable()
export class ServerRegistryService {
  private readonly logger = new Logger(ServerRegistryService.name);
  private readonly desired = new Map<string, { def: ServerDefinition; fingerprint: string }>();
  private queue: Promise<unknown> = Promise.resolve();
  private appliedOnce = false;

  constructor(
    private readonly upstreams: UpstreamManagerService,
    private readonly events: EventBusService,
    private readonly redactor: SecretRedactor,
  ) {}

  apply(source: string, defs: readonly ServerDefinition[]): Promise<RegistryDiff> {
    return this.enqueue(() => this.applyNow(source, defs));
  }

  /**
   * Adds or replaces one server without touching the others (the backend's `spawn` command).
   * The next full apply treats it like any other server.
   */
  upsert(source: string, def: ServerDefinition): Promise<void> {
    return this.enqueue(() => {
      this.desired.set(def.id, { def, fingerprint: serverFingerprint(def) });
      this.redactor.set(`server:${def.id}`, def.secrets);
      this.logger.log(`server ${def.slug} (${def.id}) added by ${source}`);
      return Promise.resolve({ value: undefined, done: this.upstreams.add(def) });
    });
  }

  /**
   * Stops one server and forgets it, so the next full apply starts it again (the backend's
   * `kill` command: the desired state stays the backend's to decide).
   */
  stop(id: string): Promise<void> {
    return this.enqueue(() => {
      this.desired.delete(id);
      return Promise.resolve({ value: undefined, done: this.upstreams.remove(id) });
    });
  }

  /** True once a configuration has been applied (readiness). */
  isApplied(): boolean {
    return this.appliedOnce;
  }

  definitions(): ServerDefinition[] {
    return [...this.desired.values()].map((d) => d.def);
  }

  get(id: string): ServerDefinition | undefined {
    return this.desired.get(id)?.def;
  }

  /**
   * Runs `step` (a change of the desired set, which hands its servers' operations to the owner)
   * after the previous step; the returned promise settles when those operations are done too.
   */
  private enqueue<T>(step: () => Promise<{ value: T; done: Promise<unknown> }>): Promise<T> {
    const issued = this.queue.then(step);
    this.queue = issued.then(
      () => undefined,
      () => undefined,
    );
    return issued.then(async ({ value, done }) => {
      await done;
      return value;
    });
  }

  /** Adds a server; `served` settles when its tools are served (restored) or it is done. */
  private start(def: ServerDefinition): { done: Promise<void>; served: Promise<void> } {
    let restored!: () => void;
    const fromStore = new Promise<void>((resolve) => (restored = resolve));
    const done = this.upstreams.add(def, { onRestored: restored });
    return { done, served: Promise.race([done, fromStore]) };
  }

  private async applyNow(
    source: string,
    defs: readonly ServerDefinition[],
  ): Promise<{ value: RegistryDiff; done: Promise<unknown> }> {
    const next = new Map(defs.map((def) => [def.id, { def, fingerprint: serverFingerprint(def) }]));
    const removed = [...this.desired.keys()].filter((id) => !next.has(id));
    const added: ServerDefinition[] = [];
    const modified: ServerDefinition[] = [];
    let unchanged = 0;
    for (const [id, entry] of next) {
      const current = this.desired.get(id);
      if (!current) added.push(entry.def);
      else if (current.fingerprint !== entry.fingerprint) modified.push(entry.def);
      else unchanged++;
    }
    for (const id of removed) this.desired.delete(id);
    for (const def of [...added, ...modified]) this.desired.set(def.id, next.get(def.id)!);
    this.redactor.set(
      `servers:${source}`,
      defs.flatMap((d) => d.secrets),
    );

    // Removals first (bounded by the kill grace), so that their tool paths are free for the
    // added servers; then every add goes to its owner, in order. add() replaces a modified
    // server's connection; all servers are discovered concurrently.
    await Promise.allSettled(removed.map((id) => this.upstreams.remove(id)));
    const starts = [...added, ...modified].map((def) => this.start(def));
    const adds = Promise.allSettled(starts.map((s) => s.done));
    // Ready once every server is discovered, failed, or serves its tools from the persisted
    // catalog (docs/operations.md "Restart: the persisted catalog").
    void Promise.allSettled(starts.map((s) => s.served)).then(() => (this.appliedOnce = true));

    const diff = {
      added: added.length,
      removed: removed.length,
      modified: modified.length,
      unchanged,
    };
    const done = adds.then(() => {
      this.appliedOnce = true;
      this.logger.log(`configuration from ${source} applied: ${JSON.stringify(diff)}`);
      this.events.emit('config.refreshed', { source, ...diff });
    });
    return { value: diff, done };
  }
}
