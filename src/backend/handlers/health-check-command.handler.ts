import { Inject, Injectable } from '@nestjs/common';
import {
  type BackendCommand,
  credentialCheckPayloadSchema,
  healthCheckPayloadSchema,
} from '../backend-wire.schema.js';
import type { CommandHandler } from '../command-handler.js';
import { readCommandPayload } from '../command-payload.js';
import { SERVER_CONTROL, type ServerControl } from '../../discovery/server-control.js';

/**
 * `health_check`: by default probe every upstream; `check_type: "credential_validation"` tries
 * `tools/list` of one installation with its configured credentials. Either way the check itself
 * completes: unhealthy servers and invalid credentials are findings, not command failures.
 */
@Injectable()
export class HealthCheckCommandHandler implements CommandHandler {
  readonly type = 'health_check';

  constructor(@Inject(SERVER_CONTROL) private readonly servers: ServerControl) {}

  async handle(command: BackendCommand): Promise<Record<string, unknown>> {
    const { check_type } = readCommandPayload(command, healthCheckPayloadSchema);
    if (check_type === 'credential_validation') {
      const installationId = readCommandPayload(
        command,
        credentialCheckPayloadSchema,
      ).installation_id;
      const check = await this.servers.validateCredentials(installationId);
      return {
        credential_validation: {
          installation_id: installationId,
          valid: check.valid,
          ...(check.error !== undefined ? { error: check.error } : {}),
          ...(check.needsReauth !== undefined ? { needs_reauth: check.needsReauth } : {}),
        },
      };
    }
    const probes = await this.servers.probeServers();
    const healthy = probes.filter((p) => p.ok).length;
    return {
      health_check: {
        checked: probes.length,
        healthy,
        unhealthy: probes.length - healthy,
        servers: probes.map((p) => ({
          installation_id: p.installationId,
          healthy: p.ok,
          ...(p.error !== undefined ? { error: p.error } : {}),
        })),
      },
    };
  }
}
