import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioServerDefinition } from '../config/server-definition.js';
import type { ProcessManagerService } from '../process/process-manager.service.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import type { CallOptions, UpstreamConnection } from './upstream-connection.js';

/** A local stdio server: the process module spawns, supervises and respawns it. */
export class StdioUpstream implements UpstreamConnection {
  constructor(
    readonly def: StdioServerDefinition,
    private readonly processes: ProcessManagerService,
    private readonly createClient: () => Client,
    /** The server's concurrency limit and queue, as for HTTP/SSE servers. */
    private readonly limit: ConcurrencyLimit,
  ) {}

  connect(): Promise<void> {
    return this.processes.start(this.def, this.createClient);
  }

  withClient<T>(fn: (client: Client) => Promise<T>, opts?: CallOptions): Promise<T> {
    return this.limit.run(() => this.processes.withClient(this.def.id, fn), opts?.signal);
  }

  close(): Promise<void> {
    return this.processes.remove(this.def.id);
  }
}
