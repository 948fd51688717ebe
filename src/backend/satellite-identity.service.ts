import { Injectable } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { SecretRedactor } from '../config/secret-redactor.js';
import { NotRegisteredError } from './backend.errors.js';
import { backendSettings } from './backend-settings.js';
import type { SatelliteCredentials } from './satellite-credentials.js';

/**
 * The credentials in use right now. Setting them also hands the key (and the registration
 * token) to the log redactor, so neither can appear in a log line even by accident.
 */
@Injectable()
export class SatelliteIdentity {
  private credentials?: SatelliteCredentials;
  /** Keys the backend turned down in this run: the copy on disk must not be tried again. */
  private readonly deadKeys = new Set<string>();

  constructor(
    private readonly redactor: SecretRedactor,
    config: SatelliteConfig,
  ) {
    const token = backendSettings(config).registrationToken;
    this.redactor.set('backend:registration-token', token ? [token] : []);
  }

  current(): SatelliteCredentials | undefined {
    return this.credentials;
  }

  require(): SatelliteCredentials {
    if (!this.credentials) throw new NotRegisteredError();
    return this.credentials;
  }

  set(credentials: SatelliteCredentials): void {
    this.credentials = credentials;
    this.redactor.set('backend:api-key', [credentials.api_key]);
  }

  /** Forgets the credentials if they are still the ones whose key was rejected. */
  forget(apiKey: string): void {
    this.deadKeys.add(apiKey);
    if (this.credentials?.api_key === apiKey) this.credentials = undefined;
  }

  /** True for a key this run already saw rejected (e.g. the persisted one, after a 401). */
  isDead(apiKey: string): boolean {
    return this.deadKeys.has(apiKey);
  }
}
