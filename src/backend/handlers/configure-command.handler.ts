import { Inject, Injectable } from '@nestjs/common';
import type { BackendCommand } from '../backend-wire.types.js';
import type { CommandHandler } from '../command-handler.js';
import { CommandPayload, InvalidCommandPayloadError } from '../command-payload.js';
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
    const payload = new CommandPayload(command);
    const action = payload.optionalString('action');
    if (action === 'update_tool_status') {
      const installationId = payload.string('installation_id');
      const toolName = payload.string('tool_name');
      const disabled = payload.boolean('is_disabled');
      this.servers.setToolDisabled(installationId, toolName, disabled);
      return {
        tool_status_updated: true,
        installation_id: installationId,
        tool_name: toolName,
        is_disabled: disabled,
      };
    }
    if (action !== undefined) {
      throw new InvalidCommandPayloadError(
        this.type,
        `unknown payload.action "${action}" (known: update_tool_status)`,
      );
    }
    const summary = await this.configSync.sync(
      payload.optionalString('event') ?? 'configure command',
    );
    return {
      configuration_applied: true,
      total_servers: summary.total_servers,
      enabled_servers: summary.enabled_servers,
    };
  }
}
