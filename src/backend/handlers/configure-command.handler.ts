import { Inject, Injectable } from '@nestjs/common';
import {
  type BackendCommand,
  configurePayloadSchema,
  toolStatusPayloadSchema,
} from '../backend-wire.schema.js';
import type { CommandHandler } from '../command-handler.js';
import { readCommandPayload } from '../command-payload.js';
import { ConfigSyncService } from '../config-sync.service.js';
import { SERVER_CONTROL, type ServerControl } from '../../discovery/server-control.js';

/**
 * `configure`: by default (any `event`: installation created/updated/deleted, recovery, redeploy)
 * fetch the configuration and apply it as a differential update; `action: "update_tool_status"`
 * enables or disables one tool of one installation.
 */
@Injectable()
export class ConfigureCommandHandler implements CommandHandler {
  readonly type = 'configure';

  constructor(
    private readonly configSync: ConfigSyncService,
    @Inject(SERVER_CONTROL) private readonly servers: ServerControl,
  ) {}

  async handle(command: BackendCommand): Promise<Record<string, unknown>> {
    const { action, event } = readCommandPayload(command, configurePayloadSchema);
    if (action === 'update_tool_status') {
      const p = readCommandPayload(command, toolStatusPayloadSchema);
      this.servers.setToolDisabled(p.installation_id, p.tool_name, p.is_disabled);
      return {
        tool_status_updated: true,
        installation_id: p.installation_id,
        tool_name: p.tool_name,
        is_disabled: p.is_disabled,
      };
    }
    const summary = await this.configSync.sync(event || 'configure command');
    return {
      configuration_applied: true,
      total_servers: summary.total_servers,
      enabled_servers: summary.enabled_servers,
    };
  }
}
