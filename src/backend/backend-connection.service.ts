import { Injectable, Logger } from '@nestjs/common';
import {
  ApiKeyRejectedError,
  BackendUnavailableError,
  RegistrationError,
  SatelliteNotFoundError,
} from './backend.errors.js';
import { ConfigSyncService } from './config-sync.service.js';
import { CredentialsStore } from './credentials.store.js';
import { HeartbeatService } from './heartbeat.service.js';
import { RegistrationService } from './registration.service.js';
import { SatelliteIdentity } from './satellite-identity.service.js';

export type ConnectionState =
  /** Not tried yet, or lost its credentials and will register again on the next attempt. */
  | 'disconnected'
  /** Registered and the last heartbeat went through. */
  | 'connected'
  /** The backend cannot be reached (or fails); credentials are kept. */
  | 'unreachable'
  /** Registration was refused; the operator must act (see the logged message). */
  | 'registration_refused';

export interface ConnectionStatus {
  readonly state: ConnectionState;
  readonly satelliteId?: string;
  readonly lastHeartbeatAt?: string;
  readonly lastError?: string;
}

const credentialsDead = (err: unknown) =>
  err instanceof ApiKeyRejectedError || err instanceof SatelliteNotFoundError;

/**
 * The satellite's standing with the backend. `connect()` reuses persisted credentials (verified
 * by a heartbeat, which is also the first heartbeat) and registers only when there are none or
 * the backend rejects them (401 on the key, 404 for a deleted satellite); then it fetches the
 * configuration. The jobs call `heartbeat()` every 30 s and the poller calls `connect()` when
 * not connected, so an outage at boot heals on its own.
 */
@Injectable()
export class BackendConnectionService {
  private readonly logger = new Logger(BackendConnectionService.name);
  private state: ConnectionState = 'disconnected';
  private connecting?: Promise<boolean>;
  private lastError?: string;

  constructor(
    private readonly identity: SatelliteIdentity,
    private readonly store: CredentialsStore,
    private readonly registration: RegistrationService,
    private readonly heartbeats: HeartbeatService,
    private readonly configSync: ConfigSyncService,
  ) {}

  isConnected(): boolean {
    // A call elsewhere may have seen the key rejected (SatelliteIdentity forgot it) since.
    return this.state === 'connected' && this.identity.current() !== undefined;
  }

  status(): ConnectionStatus {
    const last = this.heartbeats.lastSuccess();
    return {
      state: this.state,
      ...(this.identity.current() ? { satelliteId: this.identity.current()?.satellite_id } : {}),
      ...(last !== undefined ? { lastHeartbeatAt: new Date(last).toISOString() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Registers or verifies credentials, heartbeats, syncs the configuration. One run at a time. */
  connect(): Promise<boolean> {
    this.connecting ??= this.connectNow().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** The 30-second heartbeat; connects first when needed (that path heartbeats too). */
  async heartbeat(): Promise<void> {
    if (!this.isConnected()) {
      await this.connect();
      return;
    }
    try {
      await this.heartbeats.send();
    } catch (err) {
      if (credentialsDead(err)) {
        this.credentialsLost(err);
        await this.connect();
        return;
      }
      this.fail('unreachable', `heartbeat failed: ${(err as Error).message}`);
    }
  }

  /** Any caller that sees the key rejected or the satellite gone reports it here. */
  credentialsLost(err: Error): void {
    this.logger.warn(`${err.message}; registering again`);
    this.identity.forget(this.identity.current()?.api_key ?? '');
    this.state = 'disconnected';
  }

  private async connectNow(): Promise<boolean> {
    try {
      const current = this.identity.current() ?? (await this.store.load());
      const persisted = current && !this.identity.isDead(current.api_key) ? current : undefined;
      let verified = false;
      if (persisted) {
        this.identity.set(persisted);
        try {
          await this.heartbeats.send();
          verified = true;
        } catch (err) {
          if (!credentialsDead(err)) throw err;
          this.credentialsLost(err);
        }
      }
      if (!verified) {
        await this.registration.register();
        await this.heartbeats.send();
      }
    } catch (err) {
      if (err instanceof RegistrationError) this.fail('registration_refused', err.message, 'error');
      else if (err instanceof BackendUnavailableError) this.fail('unreachable', err.message);
      else
        this.fail(
          'unreachable',
          `connecting to the backend failed: ${(err as Error).message}`,
          'error',
        );
      return false;
    }
    this.state = 'connected';
    this.lastError = undefined;
    this.logger.log(
      `connected to the backend as satellite ${this.identity.require().satellite_id}`,
    );
    await this.configSync.syncSafely('connected');
    return true;
  }

  /** Logs a problem once (then quietly while it repeats), so a long outage doesn't flood the log. */
  private fail(state: ConnectionState, message: string, level: 'warn' | 'error' = 'warn'): void {
    const repeated = message === this.lastError;
    this.state = state;
    this.lastError = message;
    if (repeated) this.logger.debug(message);
    else this.logger[level](message);
  }
}
