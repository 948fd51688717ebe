import { Inject, Injectable } from '@nestjs/common';
import { approveToolsPayloadSchema, type BackendCommand } from '../backend-wire.schema.js';
import type { CommandHandler } from '../command-handler.js';
import { readCommandPayload } from '../command-payload.js';
import { ConfigSyncService } from '../config-sync.service.js';
import { SERVER_CONTROL, type ServerControl } from '../../discovery/server-control.js';
import { resolveInstallation } from './resolve-installation.js';

/**
 * `approve_tool_changes` (a satellite-side extension, docs/backend-contract.md "Commands"):
 * `installation_id` or `installation_name`, and `tools_hash`, the tool-set hash of the listing to
 * approve (`current_set_hash` in the `mcp.tools.changed` event and on the debug route). The
 * tools the server lists now become its pins; a hash that is not the current set approves
 * nothing and fails, naming the current one.
 */
@Injectable()
export class ApproveToolsCommandHandler implements CommandHandler {
  readonly type = 'approve_tool_changes';

  constructor(
    @Inject(SERVER_CONTROL) private readonly servers: ServerControl,
    private readonly configSync: ConfigSyncService,
  ) {}

  handle(command: BackendCommand): Promise<Record<string, unknown>> {
    const id = resolveInstallation(command, this.configSync);
    const toolsHash = readCommandPayload(command, approveToolsPayloadSchema).tools_hash;
    const { approved, currentSetHash } = this.servers.approveTools(id, toolsHash);
    if (!approved)
      throw new Error(
        `tools_hash ${toolsHash} is not the current tool set of ${id} (${currentSetHash}); nothing approved`,
      );
    return Promise.resolve({ tools_approved: true, installation_id: id, tools_hash: toolsHash });
  }
}
