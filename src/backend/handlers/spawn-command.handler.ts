import { Inject, Injectable } from '@nestjs/common';
import { SecretRedactor } from '../../config/secret-redactor.js';
import type { StdioServerDefinition } from '../../config/server-definition.js';
import type { BackendCommand } from '../backend-wire.types.js';
import type { CommandHandler } from '../command-handler.js';
import { CommandPayload, InvalidCommandPayloadError } from '../command-payload.js';
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
    const payload = new CommandPayload(command);
    const transport = payload.optionalString('transport_type') ?? 'stdio';
    if (transport !== 'stdio') {
      throw new InvalidCommandPayloadError(
        this.type,
        `only stdio servers are spawned (payload.transport_type is "${transport}")`,
      );
    }
    const id = payload.string('installation_id');
    const env = payload.stringMap('env');
    const userId = payload.optionalString('user_id');
    // The spawn payload has no secret_metadata: every env value is treated as a secret.
    const secrets = Object.values(env);
    this.redactor.set(`backend:spawn:${id}`, secrets);
    const def: StdioServerDefinition = {
      id,
      slug: payload.string('server_slug'),
      team: payload.string('team_id'),
      ...(userId ? { userId } : {}),
      enabled: true,
      transport: 'stdio',
      command: payload.string('command'),
      args: payload.stringArray('args'),
      env,
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
