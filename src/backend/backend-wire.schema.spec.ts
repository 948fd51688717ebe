import { describe, expect, it } from '@jest/globals';
import {
  EVENT_PAYLOADS,
  HEARTBEAT_BODY,
  POLL_ANSWER,
} from '../../test/fake-backend/wire-schemas.js';
import { problemsOf } from '../../test/fake-backend/fake-http.js';
import { BackendUnavailableError } from './backend.errors.js';
import { parseAnswer, parseCommandPoll } from './backend-api.client.js';
import {
  type BackendCommand,
  heartbeatRequestSchema,
  installationRefPayloadSchema,
  introspectionResponseSchema,
  registerResponseSchema,
  satelliteConfigResponseSchema,
  spawnPayloadSchema,
  configurePayloadSchema,
} from './backend-wire.schema.js';
import { readCommandPayload } from './command-payload.js';

const heartbeat = {
  status: 'active',
  system_metrics: { cpu_usage_percent: 3, memory_usage_mb: 100, cpu_temp: 40 },
  processes: [
    { id: 'i-1', server_name: 'memory', status: 'running', health_status: 'healthy', rss: 1 },
  ],
  error_count: 0,
  version: '1.0.0',
};

describe('one schema per wire body: lenient in the satellite, strict in the fake backend', () => {
  it('an unknown field in a request body: the satellite would drop it, the fake answers 400', () => {
    expect(heartbeatRequestSchema.safeParse(heartbeat).success).toBe(true);
    expect(problemsOf(HEARTBEAT_BODY, heartbeat)).toEqual([
      'body.system_metrics.cpu_temp: unknown field',
      'body.processes[0].rss: unknown field',
    ]);
  });

  it('an unknown field in an answer: the satellite ignores it, the strict form refuses it', () => {
    const answer = {
      commands: [{ id: 'a', command_type: 'kill', priority: 'high', payload: {}, ttl: 5 }],
      polling_mode: 'normal',
    };
    expect(parseCommandPoll(answer).response.commands).toEqual([
      { id: 'a', command_type: 'kill', priority: 'high', payload: {} },
    ]);
    expect(problemsOf(POLL_ANSWER, answer, 'answer')).toEqual([
      'answer.commands[0].ttl: unknown field',
    ]);
  });

  it('an event payload with a misspelled field is refused by the fake, from the event map', () => {
    const data = {
      server_id: 'i-1',
      server_slug: 'memory',
      team_id: 't',
      process_id: 42,
      transport: 'stdio',
      tool_count: 3,
      spawn_duration_ms: 12,
    };
    expect(problemsOf(EVENT_PAYLOADS['mcp.server.started'], data)).toEqual([]);
    const { tool_count, ...rest } = data;
    expect(
      problemsOf(EVENT_PAYLOADS['mcp.server.started'], { ...rest, tools_count: tool_count }),
    ).toEqual(['body.tool_count: missing', 'body.tools_count: unknown field']);
  });
});

describe('reading answers', () => {
  it('treats a malformed answer as an unavailable backend, naming what is wrong', () => {
    const malformed = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(BackendUnavailableError);
        return (err as Error).message;
      }
      throw new Error('expected a BackendUnavailableError');
    };
    expect(
      malformed(() =>
        parseAnswer(
          registerResponseSchema,
          { success: true, satellite: { id: 'x' } },
          'registration',
        ),
      ),
    ).toBe('malformed registration answer from the backend: answer.satellite.api_key is missing');
    expect(malformed(() => parseCommandPoll({ polling_mode: 'slow' }))).toMatch(
      /answer\.commands is missing$/,
    );
    expect(
      malformed(() =>
        parseAnswer(satelliteConfigResponseSchema, { satellite_config: {} }, 'configuration'),
      ),
    ).toMatch(/answer\.mcp_servers is missing$/);
    expect(
      malformed(() => parseAnswer(introspectionResponseSchema, { sub: 'u' }, 'introspection')),
    ).toMatch(/answer\.active is missing$/);
  });

  it('skips commands that cannot be run or answered, and defaults the rest', () => {
    const { response, skipped } = parseCommandPoll({
      commands: [
        { id: 'a', command_type: 'kill', priority: 'urgent', payload: null, extra: 1 },
        { command_type: 'kill' },
        { id: 'b' },
        'junk',
      ],
      polling_mode: 'warp',
      next_poll_interval: '10',
    });
    expect(skipped).toBe(3);
    expect(response).toEqual({
      commands: [{ id: 'a', command_type: 'kill', priority: 'normal', payload: {} }],
    });
  });

  it('reads an inactive token as just inactive, whatever else it says', () => {
    expect(
      parseAnswer(introspectionResponseSchema, { active: false, sub: 'u', scope: 'mcp:read' }, 'x'),
    ).toEqual({ active: false });
  });

  it('defaults what the registration answer may leave out', () => {
    expect(
      parseAnswer(
        registerResponseSchema,
        { success: true, satellite: { id: 's', api_key: 'k', satellite_type: 'moon' } },
        'registration',
      ).satellite,
    ).toEqual({
      id: 's',
      api_key: 'k',
      name: '',
      satellite_type: 'global',
      team_id: null,
      status: 'inactive',
    });
  });
});

describe('command payloads', () => {
  const command = (command_type: string, payload: Record<string, unknown>): BackendCommand => ({
    id: 'c',
    command_type,
    priority: 'normal',
    payload,
  });

  it('fail with a message naming the field and what it must be', () => {
    expect(() => readCommandPayload(command('kill', {}), installationRefPayloadSchema)).toThrow(
      'kill command: payload.installation_id or payload.installation_name is required',
    );
    expect(() =>
      readCommandPayload(
        command('spawn', {
          transport_type: 'http',
          installation_id: 'i',
          server_slug: 's',
          team_id: 't',
          env: { A: 1 },
        }),
        spawnPayloadSchema,
      ),
    ).toThrow(
      'spawn command: payload.transport_type must be "stdio" (only stdio servers are spawned); ' +
        'payload.command is missing; payload.env.A must be a string',
    );
    expect(() =>
      readCommandPayload(command('configure', { action: 'reboot' }), configurePayloadSchema),
    ).toThrow('configure command: payload.action must be one of "update_tool_status"');
  });

  it('ignore unknown payload fields and default the optional ones', () => {
    expect(
      readCommandPayload(
        command('spawn', {
          installation_id: 'i',
          server_slug: 's',
          team_id: 't',
          command: 'node',
          secret_metadata: {},
        }),
        spawnPayloadSchema,
      ),
    ).toEqual({
      installation_id: 'i',
      server_slug: 's',
      team_id: 't',
      command: 'node',
      args: [],
      env: {},
    });
  });
});
