import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { parseOrProblems } from '../config/zod-schema.js';
import type { SatelliteEvent } from '../events/event-map.js';
import type { SendResult } from '../events/event-sink.js';
import {
  ApiKeyRejectedError,
  BackendRequestRejectedError,
  RegistrationRefusal,
  BackendUnavailableError,
  SatelliteNotFoundError,
} from './backend.errors.js';
import { type BackendAnswer, type BackendCall, BackendHttpClient } from './backend-http.client.js';
import { BACKEND_TIMEOUTS_MS } from './backend-settings.js';
import {
  type CommandPollResponse,
  commandPollResponseSchema,
  type CommandResultRequest,
  eventsResponseSchema,
  type HeartbeatRequest,
  type IntrospectionResponse,
  introspectionResponseSchema,
  type RegisteredSatellite,
  registerResponseSchema,
  type RegisterRequest,
  type SatelliteConfigResponse,
  satelliteConfigResponseSchema,
  type UpstreamToken,
  upstreamTokenSchema,
  type UpstreamTokenRequest,
} from './backend-wire.schema.js';
import { SatelliteIdentity } from './satellite-identity.service.js';

/**
 * A typed client for every endpoint of the backend's satellite API (docs/backend-contract.md), one
 * method each, with the contract's timeouts. Calls after registration use the current API key
 * from SatelliteIdentity; a 401 on it throws ApiKeyRejectedError, a 404 on a satellite-scoped
 * path SatelliteNotFoundError, 429/5xx BackendUnavailableError.
 */
@Injectable()
export class BackendApiClient {
  constructor(
    private readonly http: BackendHttpClient,
    private readonly identity: SatelliteIdentity,
  ) {}

  /** `GET /api/health`: any 2xx means reachable. */
  async health(): Promise<boolean> {
    try {
      const answer = await this.http.send({
        method: 'GET',
        path: '/api/health',
        timeoutMs: BACKEND_TIMEOUTS_MS.health,
      });
      return answer.status >= 200 && answer.status < 300;
    } catch (err) {
      if (err instanceof BackendUnavailableError) return false;
      throw err;
    }
  }

  /** `POST /api/satellites/register` with the registration token (throws RegistrationRefusal). */
  async register(registrationToken: string, body: RegisterRequest): Promise<RegisteredSatellite> {
    const answer = await this.http.send({
      method: 'POST',
      path: '/api/satellites/register',
      body,
      bearer: registrationToken,
      timeoutMs: BACKEND_TIMEOUTS_MS.default,
    });
    if (answer.status >= 200 && answer.status < 300)
      return parseAnswer(registerResponseSchema, answer.body, 'registration').satellite;
    if (answer.status === 429 || answer.status >= 500) {
      const code =
        isRecord(answer.body) && typeof answer.body.error === 'string'
          ? answer.body.error
          : undefined;
      // registration_failed is the backend's own failure: passing, but the operator should hear of it.
      if (code !== 'registration_failed')
        throw this.unavailable('POST /api/satellites/register', answer);
    }
    const refusal = isRecord(answer.body) ? answer.body : {};
    throw new RegistrationRefusal(
      typeof refusal.error === 'string' ? refusal.error : `http_${answer.status}`,
      typeof refusal.message === 'string' ? refusal.message : '',
      answer.status,
    );
  }

  async heartbeat(body: HeartbeatRequest): Promise<void> {
    await this.satelliteCall({ method: 'POST', path: 'heartbeat', body });
  }

  async pollCommands(query: {
    lastPoll?: string;
    limit: number;
  }): Promise<{ response: CommandPollResponse; skipped: number }> {
    const answer = await this.satelliteCall({
      method: 'GET',
      path: 'commands',
      query: {
        ...(query.lastPoll ? { last_poll: query.lastPoll } : {}),
        limit: String(query.limit),
      },
      timeoutMs: BACKEND_TIMEOUTS_MS.poll,
    });
    return parseCommandPoll(answer.body);
  }

  async postCommandResult(body: CommandResultRequest): Promise<void> {
    await this.satelliteCall({ method: 'POST', path: 'command-result', body });
  }

  async fetchConfig(): Promise<SatelliteConfigResponse> {
    const answer = await this.satelliteCall({ method: 'GET', path: 'config' });
    return parseAnswer(satelliteConfigResponseSchema, answer.body, 'configuration');
  }

  /** `POST …/events`: 200 accepted (maybe with per-event failures), 400 refused, 429 throttled. */
  async postEvents(events: readonly SatelliteEvent[]): Promise<SendResult> {
    const body = {
      events: events.map((e) => ({ type: e.type, timestamp: e.timestamp, data: e.data })),
    };
    const answer = await this.satelliteCall({
      method: 'POST',
      path: 'events',
      body,
      accept: [400, 413, 422, 429],
    });
    if (answer.status === 429) {
      return {
        outcome: 'throttled',
        reason: 'the backend answered 429',
        ...(answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}),
      };
    }
    if (answer.status >= 400)
      return { outcome: 'refused', reason: `${answer.status}: ${errorText(answer.body)}` };
    const parsed = parseAnswer(eventsResponseSchema, answer.body, 'events');
    return { outcome: 'accepted', failures: parsed.failures };
  }

  /** `POST /api/oauth2/introspect` (RFC 7662 style) with the satellite's API key. */
  async introspect(token: string): Promise<IntrospectionResponse> {
    const answer = await this.authedCall(
      {
        method: 'POST',
        path: '/api/oauth2/introspect',
        body: { token },
        timeoutMs: BACKEND_TIMEOUTS_MS.default,
      },
      'introspection',
    );
    return parseAnswer(introspectionResponseSchema, answer.body, 'introspection');
  }

  /** An upstream OAuth token for one user's instance; undefined when the backend has none (404). */
  async retrieveUpstreamToken(body: UpstreamTokenRequest): Promise<UpstreamToken | undefined> {
    const answer = await this.satelliteCall({
      method: 'POST',
      path: 'tokens/retrieve',
      body,
      accept: [404],
    });
    if (answer.status === 404) return undefined;
    return parseAnswer(upstreamTokenSchema, answer.body, 'upstream token');
  }

  private async satelliteCall(call: {
    method: 'GET' | 'POST';
    path: string;
    query?: Record<string, string>;
    body?: unknown;
    timeoutMs?: number;
    /** Statuses the caller interprets itself. */
    accept?: readonly number[];
  }): Promise<BackendAnswer> {
    const { satellite_id } = this.identity.require();
    const path = `/api/satellites/${encodeURIComponent(satellite_id)}/${call.path}`;
    const answer = await this.authedCall(
      {
        method: call.method,
        path,
        query: call.query,
        body: call.body,
        timeoutMs: call.timeoutMs ?? BACKEND_TIMEOUTS_MS.default,
      },
      call.path,
      call.accept,
    );
    return answer;
  }

  private async authedCall(
    call: Omit<BackendCall, 'bearer'>,
    what: string,
    accept: readonly number[] = [],
  ): Promise<BackendAnswer> {
    const creds = this.identity.require();
    const answer = await this.http.send({ ...call, bearer: creds.api_key });
    if (accept.includes(answer.status)) return answer;
    if (answer.status >= 200 && answer.status < 300) return answer;
    const label = `${call.method} ${call.path}`;
    if (answer.status === 401) {
      this.identity.forget(creds.api_key);
      throw new ApiKeyRejectedError(what);
    }
    if (answer.status === 404 && call.path.startsWith('/api/satellites/'))
      throw new SatelliteNotFoundError(creds.satellite_id);
    if (answer.status === 429 || answer.status >= 500) throw this.unavailable(label, answer);
    throw new BackendRequestRejectedError(
      `${label} answered ${answer.status}: ${errorText(answer.body)}`,
      answer.status,
    );
  }

  private unavailable(label: string, answer: BackendAnswer): BackendUnavailableError {
    return new BackendUnavailableError(
      `${label} answered ${answer.status}: ${errorText(answer.body)}`,
      answer.status,
      answer.retryAfterMs,
    );
  }
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An answer read leniently with its schema from backend-wire.schema.ts: unknown fields are
 * ignored and recoverable values defaulted; a malformed answer is treated like an unreachable
 * backend (retry later), never trusted half-way.
 */
export function parseAnswer<T extends z.ZodType>(
  schema: T,
  body: unknown,
  what: string,
): z.output<T> {
  const parsed = parseOrProblems(schema, body, 'answer');
  if (parsed.ok) return parsed.data;
  throw new BackendUnavailableError(
    `malformed ${what} answer from the backend: ${parsed.problems.join('; ')}`,
  );
}

/** Commands without an id or type cannot be run nor answered: they are left out and counted. */
export function parseCommandPoll(body: unknown): {
  response: CommandPollResponse;
  skipped: number;
} {
  const response = parseAnswer(commandPollResponseSchema, body, 'command poll');
  const sent = isRecord(body) && Array.isArray(body.commands) ? body.commands.length : 0;
  return { response, skipped: sent - response.commands.length };
}

/** The backend's own words from an error body, bounded (they are logged). */
function errorText(body: unknown): string {
  if (isRecord(body)) {
    const parts = [body.error, body.message].filter((p): p is string => typeof p === 'string');
    if (parts.length > 0) return parts.join(': ').slice(0, 300);
  }
  return 'no details';
}
