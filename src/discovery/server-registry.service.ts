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
 * touched (architecture.md "Registry diff"). Applies are serialized so two quick edits never
 * interleave.
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
    const run = this.queue.then(() => this.applyNow(source, defs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Adds or replaces one server without touching the others (the backend's `spawn` command).
   * The next full apply treats it like any other server.
   */
  upsert(source: string, def: ServerDefinition): Promise<void> {
    const run = this.queue.then(async () => {
      this.desired.set(def.id, { def, fingerprint: serverFingerprint(def) });
      this.redactor.set(`server:${def.id}`, def.secrets);
      this.logger.log(`server ${def.slug} (${def.id}) added by ${source}`);
      await this.upstreams.add(def);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops one server and forgets it, so the next full apply starts it again (the backend's
   * `kill` command: the desired state stays the backend's to decide).
   */
  stop(id: string): Promise<void> {
    const run = this.queue.then(async () => {
      this.desired.delete(id);
      await this.upstreams.remove(id);
    });
    this.queue = run.catch(() => undefined);
    return run;
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

  private async applyNow(source: string, defs: readonly ServerDefinition[]): Promise<RegistryDiff> {
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

    await Promise.allSettled(removed.map((id) => this.upstreams.remove(id)));
    // add() replaces a modified server's connection; all servers are discovered concurrently.
    await Promise.allSettled([...added, ...modified].map((def) => this.upstreams.add(def)));

    const diff = {
      added: added.length,
      removed: removed.length,
      modified: modified.length,
      unchanged,
    };
    this.appliedOnce = true;
    this.logger.log(`configuration from ${source} applied: ${JSON.stringify(diff)}`);
    this.events.emit('config.refreshed', { source, ...diff });
    return diff;
  }
}
