import { Inject, Injectable } from '@nestjs/common';
import type { BackendCommand } from '../backend-wire.schema.js';
import type { CommandHandler } from '../command-handler.js';
import { ConfigSyncService } from '../config-sync.service.js';
import { SERVER_CONTROL, type ServerControl } from '../../discovery/server-control.js';
import { resolveInstallation } from './resolve-installation.js';

/** `kill`: terminate one instance (named by installation id or name). */
@Injectable()
export class KillCommandHandler implements CommandHandler {
  readonly type = 'kill';

  constructor(
    @Inject(SERVER_CONTROL) private readonly servers: ServerControl,
    private readonly configSync: ConfigSyncService,
  ) {}

  async handle(command: BackendCommand): Promise<Record<string, unknown>> {
    const id = resolveInstallation(command, this.configSync);
    await this.servers.stopServer(id);
    return { terminated: true, installation_id: id };
  }
}
