import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import {
  badRequest,
  bearer,
  HttpError,
  type Json,
  problemsOf,
  readJson,
  routeOf,
  send,
  strict,
} from './fake-http.js';
import {
  COMMAND_RESULT_BODY,
  COMMANDS_QUERY,
  EVENT_PAYLOADS,
  EVENTS_BODY,
  HEARTBEAT_BODY,
  EVENTS_ANSWER,
  INTROSPECT_BODY,
  POLL_ANSWER,
  REGISTER_ANSWER,
  REGISTER_BODY,
  STORED_EVENT_TYPES,
  TOKENS_BODY,
} from './wire-schemas.js';
import type {
  FakeRoute,
  FailureMode,
  TokenState,
  FakeSatellite,
  QueuedCommand,
  ReceivedEvent,
  CommandRecord,
} from './fake-backend.types.js';

/** Answers the fake builds itself (not scripted by a test), checked against the contract. */
const OWN_ANSWERS: Partial<Record<FakeRoute, z.ZodType>> = {
  register: REGISTER_ANSWER,
  commands: POLL_ANSWER,
  events: EVENTS_ANSWER,
};

export type { FailureMode, FakeRoute, FakeSatellite, QueuedCommand, ReceivedEvent, TokenState };

/**
 * A strict stand-in for the DeployStack backend's satellite API (docs/backend-contract.md), on
 * 127.0.0.1 with an ephemeral port. Unlike the real backend it rejects unknown, missing or
 * mistyped fields with 400 (see `rejections`), so a drifted field name fails a test. Tests script
 * it: tokens, commands, config, introspection answers, failures; and read what it received.
 */
export class FakeBackend {
  readonly registrations: Array<{ name: string; token: string }> = [];
  readonly heartbeats: Array<{ satelliteId: string; body: Json }> = [];
  readonly polls: Array<{ satelliteId: string; query: Record<string, string> }> = [];
  readonly commandResults: Json[] = [];
  readonly events: ReceivedEvent[] = [];
  readonly eventBatches: Array<{ size: number; status: number }> = [];
  readonly introspections: string[] = [];
  /** Every 400 the fake gave for a contract violation, with the problems found. */
  readonly rejections: Array<{ route: FakeRoute; problems: string[] }> = [];
  /** The fake's own failures (answered 500), e.g. an answer of its own that breaks the contract. */
  readonly bugs: string[] = [];

  private readonly tokens = new Map<string, TokenState>();
  private readonly sats = new Map<string, FakeSatellite>();
  private readonly commands = new Map<string, CommandRecord[]>();
  private readonly introspectionAnswers = new Map<string, Json>();
  private readonly upstreamTokens = new Map<string, Json>();
  private readonly failures = new Map<FakeRoute | '*', { mode: FailureMode; remaining: number }>();
  private readonly callCounts = new Map<FakeRoute, number>();
  private config: Json = { mcp_servers: {}, satellite_config: {} };
  private polling?: { polling_mode: string; next_poll_interval: number };
  private refuseEvent?: (event: Json) => boolean;
  private failRegistration = false;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeBackend> {
    const holder: { backend?: FakeBackend } = {};
    const server = createServer((req, res) => void holder.backend?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.backend = new FakeBackend(server, `http://127.0.0.1:${port}`);
    return holder.backend;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- scripting -------------------------------------------------------------------------------

  addRegistrationToken(token: string, state: TokenState = 'valid'): void {
    this.tokens.set(token, state);
  }

  /** The next registration answers 500 `registration_failed`. */
  failNextRegistration(): void {
    this.failRegistration = true;
  }

  satellites(): FakeSatellite[] {
    return [...this.sats.values()];
  }

  /** Gives the satellite a new key it does not know: its next call gets 401. */
  revokeApiKey(satelliteId: string): void {
    this.sat(satelliteId).apiKey = `revoked-${randomUUID()}`;
  }

  /** Calls with its key get 404 from now on. */
  deleteSatellite(satelliteId: string): void {
    this.sat(satelliteId).deleted = true;
  }

  /** Queues a command for a satellite (the only one when `satelliteId` is omitted); returns its id. */
  queueCommand(command: QueuedCommand, satelliteId = this.onlySatellite().id): string {
    const id = command.id ?? randomUUID();
    const wire = {
      ...command,
      id,
      priority: command.priority ?? 'normal',
      payload: command.payload ?? {},
    };
    const list = this.commands.get(satelliteId) ?? [];
    list.push({ wire, id, state: 'pending' });
    this.commands.set(satelliteId, list);
    return id;
  }

  /** Delivers a command again on the next poll (as the backend does when no result came). */
  redeliver(commandId: string): void {
    for (const list of this.commands.values())
      for (const c of list) if (c.id === commandId) c.state = 'pending';
  }

  /** Overrides the polling answer; `undefined` goes back to the computed one. */
  setPolling(answer?: {
    polling_mode: 'immediate' | 'normal' | 'slow';
    next_poll_interval: number;
  }): void {
    this.polling = answer;
  }

  setConfig(config: { mcp_servers: Json; satellite_config?: Json }): void {
    this.config = {
      mcp_servers: config.mcp_servers,
      satellite_config: config.satellite_config ?? {},
    };
  }

  setIntrospection(token: string, answer: Json): void {
    this.introspectionAnswers.set(token, answer);
  }

  setUpstreamToken(ref: { installation_id: string; user_id: string }, answer: Json): void {
    this.upstreamTokens.set(`${ref.installation_id}:${ref.user_id}`, answer);
  }

  /** Makes a route (or every route, '*') fail `times` times (default: until cleared). */
  fail(route: FakeRoute | '*', mode: FailureMode, times = Infinity): void {
    this.failures.set(route, { mode, remaining: times });
  }

  clearFailures(): void {
    this.failures.clear();
  }

  /** Answers 400 to any event batch holding an event this predicate picks. */
  refuseEventsWhere(predicate: ((event: Json) => boolean) | undefined): void {
    this.refuseEvent = predicate;
  }

  calls(route: FakeRoute): number {
    return this.callCounts.get(route) ?? 0;
  }

  // --- HTTP ------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const route = routeOf(req.method ?? 'GET', url.pathname);
    if (!route) return send(res, 404, { success: false, error: 'not_found' });
    this.callCounts.set(route.name, this.calls(route.name) + 1);
    const failure = this.failures.get(route.name) ?? this.failures.get('*');
    if (failure && failure.remaining > 0) {
      failure.remaining--;
      if (failure.mode.kind === 'drop') return void req.socket.destroy();
      if (failure.mode.kind === 'status') {
        const headers: Record<string, string> =
          failure.mode.retryAfterSeconds !== undefined
            ? { 'retry-after': String(failure.mode.retryAfterSeconds) }
            : {};
        return send(
          res,
          failure.mode.status,
          { success: false, error: 'injected_failure' },
          headers,
        );
      }
      await new Promise((r) => setTimeout(r, (failure.mode as { ms: number }).ms));
    }
    try {
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      const answer = this.answer(route.name, route.satelliteId, req, url, body);
      const own = OWN_ANSWERS[route.name];
      const bugs =
        own && (answer.status ?? 200) === 200 ? problemsOf(own, answer.body, 'answer') : [];
      if (bugs.length > 0)
        throw new Error(`the fake's own answer breaks the contract: ${bugs.join('; ')}`);
      send(res, answer.status ?? 200, answer.body);
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.status === 400 && Array.isArray(err.body.problems)) {
          this.rejections.push({ route: route.name, problems: err.body.problems as string[] });
        }
        return send(res, err.status, err.body);
      }
      this.bugs.push(String(err));
      send(res, 500, { success: false, error: 'fake_backend_bug', message: String(err) });
    }
  }

  private answer(
    route: FakeRoute,
    satId: string | undefined,
    req: IncomingMessage,
    url: URL,
    body: unknown,
  ): { status?: number; body: Json } {
    switch (route) {
      case 'health':
        return { body: { status: 'ok' } };
      case 'register':
        return this.register(req, body);
      case 'introspect': {
        this.satelliteByKey(req);
        strict(INTROSPECT_BODY, body);
        const token = (body as { token: string }).token;
        this.introspections.push(token);
        return { body: this.introspectionAnswers.get(token) ?? { active: false } };
      }
      case 'heartbeat': {
        const sat = this.authorize(req, satId);
        strict(HEARTBEAT_BODY, body);
        this.heartbeats.push({ satelliteId: sat.id, body: body as Json });
        sat.status = 'active';
        return { body: { success: true, message: 'heartbeat received' } };
      }
      case 'commands':
        return { body: this.poll(this.authorize(req, satId), url) };
      case 'command-result':
        return this.commandResult(this.authorize(req, satId), body);
      case 'config':
        this.authorize(req, satId);
        return { body: this.config };
      case 'events':
        this.authorize(req, satId);
        return this.receiveEvents(body);
      case 'tokens': {
        this.authorize(req, satId);
        strict(TOKENS_BODY, body);
        const b = body as Record<string, string>;
        const token = this.upstreamTokens.get(`${b.installation_id}:${b.user_id}`);
        if (!token) throw new HttpError(404, { success: false, error: 'token_not_found' });
        return { body: token };
      }
    }
  }

  private register(req: IncomingMessage, body: unknown): { body: Json } {
    strict(REGISTER_BODY, body);
    const token = bearer(req);
    if (!token)
      throw new HttpError(401, {
        success: false,
        error: 'registration_token_required',
        message: 'Registration token required',
      });
    const state = this.tokens.get(token);
    if (!state)
      throw new HttpError(401, {
        success: false,
        error: 'invalid_registration_token',
        message: 'Invalid token',
      });
    if (state === 'expired')
      throw new HttpError(401, {
        success: false,
        error: 'token_expired',
        message: 'Token expired',
      });
    if (state === 'used')
      throw new HttpError(401, {
        success: false,
        error: 'token_already_used',
        message: 'Token already used',
      });
    if (state === 'invalid_scope')
      throw new HttpError(403, {
        success: false,
        error: 'token_invalid_scope',
        message: 'Wrong scope',
      });
    if (this.failRegistration) {
      this.failRegistration = false;
      throw new HttpError(500, {
        success: false,
        error: 'registration_failed',
        message: 'database unavailable',
      });
    }
    this.tokens.set(token, 'used');
    const name = (body as { name: string }).name;
    this.registrations.push({ name, token });
    // Same name → same id and a new key; the old key dies.
    const existing = [...this.sats.values()].find((s) => s.name === name && !s.deleted);
    const sat: FakeSatellite = existing ?? {
      id: randomUUID(),
      name,
      apiKey: '',
      status: 'inactive',
      deleted: false,
    };
    sat.apiKey = `sat_${randomBytes(24).toString('hex')}`;
    this.sats.set(sat.id, sat);
    return {
      body: {
        success: true,
        satellite: {
          id: sat.id,
          name,
          satellite_type: 'global',
          team_id: null,
          status: sat.status,
          api_key: sat.apiKey,
        },
        message: 'Satellite registered',
      },
    };
  }

  private poll(sat: FakeSatellite, url: URL): Json {
    const query = Object.fromEntries(url.searchParams);
    strict(COMMANDS_QUERY, query);
    this.polls.push({ satelliteId: sat.id, query });
    if (sat.status !== 'active')
      return { commands: [], polling_mode: 'slow', next_poll_interval: 60 };
    const pending = (this.commands.get(sat.id) ?? [])
      .filter((c) => c.state === 'pending')
      .slice(0, Number(query.limit));
    for (const c of pending) c.state = 'delivered';
    const priorities = pending.map((c) => c.wire.priority);
    const computed = priorities.includes('immediate')
      ? { polling_mode: 'immediate', next_poll_interval: 2 }
      : priorities.includes('high')
        ? { polling_mode: 'normal', next_poll_interval: 10 }
        : pending.length > 0
          ? { polling_mode: 'normal', next_poll_interval: 30 }
          : { polling_mode: 'slow', next_poll_interval: 60 };
    return { commands: pending.map((c) => c.wire), ...(this.polling ?? computed) };
  }

  private commandResult(sat: FakeSatellite, body: unknown): { body: Json } {
    strict(COMMAND_RESULT_BODY, body);
    const b = body as Json;
    const command = (this.commands.get(sat.id) ?? []).find((c) => c.id === b.command_id);
    if (!command) throw new HttpError(404, { success: false, error: 'command_not_found' });
    command.state = 'done';
    this.commandResults.push(b);
    return { body: { success: true } };
  }

  private receiveEvents(body: unknown): { status?: number; body: Json } {
    strict(EVENTS_BODY, body);
    const events = (body as { events: Json[] }).events;
    const problems = events.flatMap((e, i) => {
      const schema = EVENT_PAYLOADS[e.type as string];
      const own = schema ? problemsOf(schema, e.data, `body.events[${i}].data`) : [];
      return this.refuseEvent?.(e) ? [...own, `body.events[${i}]: refused by the test`] : own;
    });
    if (problems.length > 0) {
      this.eventBatches.push({ size: events.length, status: 400 });
      throw badRequest(problems);
    }
    this.eventBatches.push({ size: events.length, status: 200 });
    const failures: Json[] = [];
    const ids: string[] = [];
    events.forEach((e, index) => {
      const stored = STORED_EVENT_TYPES.has(e.type as string);
      this.events.push({
        type: e.type as string,
        timestamp: e.timestamp as string,
        data: e.data as Json,
        stored,
      });
      if (stored) ids.push(randomUUID());
      else failures.push({ index, type: e.type, error: `Unknown event type: ${String(e.type)}` });
    });
    return {
      body: {
        success: true,
        processed: ids.length,
        failed: failures.length,
        event_ids: ids,
        ...(failures.length ? { failures } : {}),
      },
    };
  }

  // --- helpers ---------------------------------------------------------------------------------

  private authorize(req: IncomingMessage, pathId: string | undefined): FakeSatellite {
    const sat = this.satelliteByKey(req);
    if (sat.deleted) throw new HttpError(404, { success: false, error: 'satellite_not_found' });
    if (sat.id !== pathId) throw new HttpError(403, { success: false, error: 'forbidden' });
    return sat;
  }

  private satelliteByKey(req: IncomingMessage): FakeSatellite {
    const key = bearer(req);
    const sat = [...this.sats.values()].find((s) => s.apiKey === key);
    if (!key || !sat) throw new HttpError(401, { success: false, error: 'unauthorized' });
    return sat;
  }

  private sat(id: string): FakeSatellite {
    const sat = this.sats.get(id);
    if (!sat) throw new Error(`no satellite ${id}`);
    return sat;
  }

  private onlySatellite(): FakeSatellite {
    const live = [...this.sats.values()].filter((s) => !s.deleted);
    if (live.length !== 1)
      throw new Error(`expected exactly one registered satellite, found ${live.length}`);
    return live[0];
  }
}
