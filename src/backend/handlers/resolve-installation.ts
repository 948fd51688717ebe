import type { CommandPayload } from '../command-payload.js';
import type { ConfigSyncService } from '../config-sync.service.js';

/**
 * The installation id a kill/restart command means. A name is looked up in the last applied
 * configuration (installation names are opaque: never parsed for an id).
 */
export function resolveInstallation(
  payload: CommandPayload,
  configSync: ConfigSyncService,
): string {
  const ref = payload.installationRef();
  const id = configSync.resolveInstallationId(ref);
  if (!id)
    throw new Error(
      `no installation named "${ref.installation_name}" in the applied configuration`,
    );
  return id;
}
