import type { SatelliteConfig } from '../config/satellite-config.js';

export type BackendSettings = NonNullable<SatelliteConfig['backend']>;

/** The managed-mode settings; the backend, auth and managed jobs exist only when they are set. */
export function backendSettings(config: SatelliteConfig): BackendSettings {
  if (!config.backend) {
    throw new Error(
      'managed mode is off (DEPLOYSTACK_BACKEND_URL is not set): import BackendModule only in managed mode',
    );
  }
  return config.backend;
}

/**
 * The contract's timeouts (docs/backend-contract.md "Requests"): health 5 s, command poll 15 s,
 * the rest 10 s.
 */
export const BACKEND_TIMEOUTS_MS = { health: 5_000, poll: 15_000, default: 10_000 } as const;
