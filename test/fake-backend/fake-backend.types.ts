/** The fake backend's vocabulary (see fake-backend.ts). */

export type FakeRoute =
  | 'health'
  | 'register'
  | 'heartbeat'
  | 'commands'
  | 'command-result'
  | 'config'
  | 'events'
  | 'introspect'
  | 'tokens';

export type FailureMode =
  /** Answer with this status (e.g. 503, or 429 with Retry-After). */
  | { readonly kind: 'status'; readonly status: number; readonly retryAfterSeconds?: number }
  /** Close the connection without answering (a network failure for the client). */
  | { readonly kind: 'drop' }
  /** Answer normally, but only after this long. */
  | { readonly kind: 'delay'; readonly ms: number };

export type TokenState = 'valid' | 'expired' | 'used' | 'invalid_scope';

export interface FakeSatellite {
  readonly id: string;
  readonly name: string;
  apiKey: string;
  status: 'inactive' | 'active';
  deleted: boolean;
}

export interface QueuedCommand {
  readonly id?: string;
  readonly command_type: string;
  readonly priority?: 'immediate' | 'high' | 'normal' | 'low';
  readonly payload?: Record<string, unknown>;
  readonly correlation_id?: string;
  readonly expires_at?: string;
}

export interface ReceivedEvent {
  readonly type: string;
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
  /** False for types today's backend does not store (answered as per-event failures). */
  readonly stored: boolean;
}

export interface CommandRecord {
  readonly wire: Record<string, unknown>;
  readonly id: string;
  state: 'pending' | 'delivered' | 'done';
}
