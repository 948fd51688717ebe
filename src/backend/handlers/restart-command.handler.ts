import { Inject, Injectable } from '@nestjs/common';
import type { BackendCommand } from '../backend-wire.schema.js';
import type { CommandHandler } from '../command-handler.js';
import { ConfigSyncService } from '../config-sync.service.js';
import { SERVER_CONTROL, type ServerControl } from '../../discovery/server-control.js';
import { resolveInstallation } from './resolve-installation.js';

/** `restart`: restart one instance (also the way out of `permanently_failed`). */
@Injectable()
export class RestartCommandHandler implements CommandHandler {
  readonly type = 'restart';

  constructor(
    @Inject(SERVER_CONTROL) private readonly servers: ServerControl,
    private readonly configSync: ConfigSyncService,
  ) {}

  async handle(command: BackendCommand): Promise<Record<string, unknown>> {
    const id = resolveInstallation(command, this.configSync);
    await this.servers.restartServer(id);
    return { restarted: true, installation_id: id };
  }
}
