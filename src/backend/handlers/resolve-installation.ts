import { type BackendCommand, installationRefPayloadSchema } from '../backend-wire.schema.js';
import { readCommandPayload } from '../command-payload.js';
import type { ConfigSyncService } from '../config-sync.service.js';

/**
 * The installation id a kill/restart command means. A name is looked up in the last applied
 * configuration (installation names are opaque: never parsed for an id).
 */
export function resolveInstallation(
  command: BackendCommand,
  configSync: ConfigSyncService,
): string {
  const ref = readCommandPayload(command, installationRefPayloadSchema);
  const id = configSync.resolveInstallationId({
    ...(ref.installation_id ? { installation_id: ref.installation_id } : {}),
    ...(ref.installation_name ? { installation_name: ref.installation_name } : {}),
  });
  if (!id)
    throw new Error(
      `no installation named "${ref.installation_name ?? ''}" in the applied configuration`,
    );
  return id;
}
