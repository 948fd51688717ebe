import type { z } from 'zod';
import {
  commandPollResponseSchema,
  commandResultRequestSchema,
  commandsQuerySchema,
  eventsRequestSchema,
  eventsResponseSchema,
  heartbeatRequestSchema,
  introspectRequestSchema,
  registerRequestSchema,
  registerResponseSchema,
  upstreamTokenRequestSchema,
} from '../../src/backend/backend-wire.schema.js';
import { strictSchema } from '../../src/config/zod-schema.js';
import { EVENT_PAYLOAD_SCHEMAS } from '../../src/events/event-map.js';

/**
 * The fake backend's checks: the satellite's own schemas of docs/backend-contract.md
 * (src/backend/backend-wire.schema.ts, src/events/event-map.ts) made strict, so an unknown,
 * missing or mistyped field is a 400 here. No second copy of the contract.
 */

export const REGISTER_BODY = strictSchema(registerRequestSchema);
export const HEARTBEAT_BODY = strictSchema(heartbeatRequestSchema);
export const COMMANDS_QUERY = strictSchema(commandsQuerySchema);
export const COMMAND_RESULT_BODY = strictSchema(commandResultRequestSchema);
export const INTROSPECT_BODY = strictSchema(introspectRequestSchema);
export const TOKENS_BODY = strictSchema(upstreamTokenRequestSchema);
export const EVENTS_BODY = strictSchema(eventsRequestSchema);

/** A misspelled field in an event's `data` refuses the batch (400). */
export const EVENT_PAYLOADS: Readonly<Record<string, z.ZodType>> = Object.fromEntries(
  Object.entries(EVENT_PAYLOAD_SCHEMAS).map(([type, schema]) => [type, strictSchema(schema)]),
);

/** The answers the fake builds itself are checked too, so it answers as the contract says. */
export const REGISTER_ANSWER = strictSchema(registerResponseSchema);
export const POLL_ANSWER = strictSchema(commandPollResponseSchema);
export const EVENTS_ANSWER = strictSchema(eventsResponseSchema);

/** The event types today's backend stores; others are answered as per-event failures. */
export const STORED_EVENT_TYPES = new Set([
  'mcp.server.started',
  'mcp.server.crashed',
  'mcp.server.restarted',
  'mcp.server.dormant',
  'mcp.server.respawned',
  'mcp.server.status_changed',
  'mcp.server.logs',
  'mcp.request.logs',
  'mcp.tools.discovered',
  'mcp.tool.executed',
  'mcp.client.activity',
]);
