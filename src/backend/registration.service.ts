import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../events/clock.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { BackendApiClient } from './backend-api.client.js';
import { RegistrationError, RegistrationRefusal } from './backend.errors.js';
import { type BackendSettings, backendSettings } from './backend-settings.js';
import { CredentialsStore } from './credentials.store.js';
import { registrationMessage } from './registration-messages.js';
import type { SatelliteCredentials } from './satellite-credentials.js';
import { SatelliteIdentity } from './satellite-identity.service.js';
import { SystemMetricsProbe } from './system-metrics.probe.js';

/**
 * Registers the satellite with its registration token and persists the credentials it gets.
 * Every refusal becomes a RegistrationError whose message tells the operator what to do.
 */
@Injectable()
export class RegistrationService {
  private readonly logger = new Logger(RegistrationService.name);
  private readonly settings: BackendSettings;

  constructor(
    private readonly api: BackendApiClient,
    private readonly store: CredentialsStore,
    private readonly identity: SatelliteIdentity,
    private readonly metrics: SystemMetricsProbe,
    private readonly clock: Clock,
    config: SatelliteConfig,
  ) {
    this.settings = backendSettings(config);
  }

  /** Throws RegistrationError (refused) or BackendUnavailableError (passing trouble). */
  async register(): Promise<SatelliteCredentials> {
    const token = this.settings.registrationToken;
    if (!token)
      throw new RegistrationError(
        'registration_token_required',
        registrationMessage('registration_token_required', ''),
      );
    this.logger.log(`registering as "${this.settings.satelliteName}" with the backend`);
    let satellite;
    try {
      satellite = await this.api.register(token, {
        name: this.settings.satelliteName,
        capabilities: ['stdio', 'http', 'sse'],
        system_info: this.metrics.systemInfo(),
      });
    } catch (err) {
      if (err instanceof RegistrationRefusal)
        throw new RegistrationError(err.code, registrationMessage(err.code, err.backendMessage));
      throw err;
    }
    const credentials: SatelliteCredentials = {
      api_key: satellite.api_key,
      satellite_id: satellite.id,
      satellite_name: satellite.name || this.settings.satelliteName,
      registered_at: new Date(this.clock.now()).toISOString(),
    };
    this.identity.set(credentials);
    await this.store.save(credentials);
    this.logger.log(
      `registered as ${satellite.satellite_type} satellite ${satellite.id}; credentials saved to ${this.store.path}`,
    );
    return credentials;
  }
}
