import { Inject, Injectable } from '@nestjs/common';
import { SecretRedactor } from '../../config/secret-redactor.js';
import type { StdioServerDefinition } from '../../config/server-definition.js';
import { type BackendCommand, spawnPayloadSchema } from '../backend-wire.schema.js';
import type { CommandHandler } from '../command-handler.js';
import { readCommandPayload } from '../command-payload.js';
import { SERVER_CONTROL, type ServerControl } from '../../discovery/server-control.js';

/** `spawn`: start one stdio server instance from the payload (it carries its own command and env). */
@Injectable()
export class SpawnCommandHandler implements CommandHandler {
  readonly type = 'spawn';

  constructor(
    @Inject(SERVER_CONTROL) private readonly servers: ServerControl,
    private readonly redactor: SecretRedactor,
  ) {}

  async handle(command: BackendCommand): Promise<Record<string, unknown>> {
    const payload = readCommandPayload(command, spawnPayloadSchema);
    const id = payload.installation_id;
    // The spawn payload has no secret_metadata: every env value is treated as a secret.
    const secrets = Object.values(payload.env);
    this.redactor.set(`backend:spawn:${id}`, secrets);
    const def: StdioServerDefinition = {
      id,
      slug: payload.server_slug,
      team: payload.team_id,
      ...(payload.user_id ? { userId: payload.user_id } : {}),
      enabled: true,
      transport: 'stdio',
      command: payload.command,
      args: payload.args,
      env: payload.env,
      secrets,
    };
    const outcome = await this.servers.spawnServer(def);
    return {
      process_id: id,
      server_type: 'stdio',
      pid: outcome.pid ?? null,
      startup_time_ms: outcome.startupTimeMs,
    };
  }
}
