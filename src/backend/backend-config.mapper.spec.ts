import { describe, expect, it } from '@jest/globals';
import { mapBackendServers } from './backend-config.mapper.js';

const stdio = {
  installation_id: 'i-1',
  installation_name: 'whatever-the-backend-calls-it',
  team_id: 't-1',
  team_slug: 'team',
  server_name: 'Filesystem',
  server_slug: 'filesystem',
  transport_type: 'stdio',
  enabled: true,
  command: 'npx',
  args: ['-y', 'pkg'],
  env: { SECRET: 's3cr3t-value', PUBLIC: 'p' },
  secret_metadata: { env: ['SECRET'] },
};

describe('mapBackendServers', () => {
  it("reads a stdio entry's network setting when the backend sends one, and reports a bad one", () => {
    const { servers } = mapBackendServers({
      a: { ...stdio, network: { allow: ['api.github.com:443'] } },
    });
    expect(servers[0]).toMatchObject({
      network: { egress: false, allow: [{ host: 'api.github.com', ports: '443' }] },
    });
    const bad = mapBackendServers({ a: { ...stdio, network: 'everything' } });
    expect(bad.problems.join('\n')).toMatch(/network must be "none", "egress"/);
  });

  it('maps a stdio entry: ids, team, user, env secrets named in secret_metadata', () => {
    const { servers, secrets, problems, idsByName } = mapBackendServers({
      'name-a': { ...stdio, user_id: 'u-1' },
    });
    expect(problems).toEqual([]);
    expect(servers).toEqual([
      {
        id: 'i-1',
        slug: 'filesystem',
        name: 'whatever-the-backend-calls-it',
        team: 't-1',
        userId: 'u-1',
        enabled: true,
        description: 'Filesystem',
        transport: 'stdio',
        command: 'npx',
        args: ['-y', 'pkg'],
        env: { SECRET: 's3cr3t-value', PUBLIC: 'p' },
        secrets: ['s3cr3t-value'],
      },
    ]);
    expect(secrets).toEqual(['s3cr3t-value']);
    expect(idsByName.get('name-a')).toBe('i-1');
    expect(idsByName.get('whatever-the-backend-calls-it')).toBe('i-1');
  });

  it('maps HTTP/SSE: query params merged into the URL, header secrets case-insensitive, Authorization always secret', () => {
    const { servers, secrets } = mapBackendServers({
      n: {
        installation_id: 'i-2',
        team_id: 't-1',
        server_slug: 'remote',
        transport_type: 'sse',
        url: 'https://x.example.com/sse?a=1',
        headers: {
          'x-token': 'hdr-secret',
          Authorization: 'Bearer abc-123',
          Accept: 'text/event-stream',
        },
        url_query_params: { key: 'q&secret', plain: 'v' },
        timeout: 20000,
        requires_oauth: false,
        secret_metadata: { headers: ['X-Token'], query_params: ['key'] },
      },
    });
    expect(servers[0]).toMatchObject({
      transport: 'sse',
      url: 'https://x.example.com/sse?a=1&key=q%26secret&plain=v',
      timeoutMs: 20000,
      enabled: true,
    });
    expect(secrets.sort()).toEqual(['Bearer abc-123', 'hdr-secret', 'q%26secret', 'q&secret']);
  });

  it('skips entries missing required fields and reports them without values', () => {
    const { servers, problems } = mapBackendServers({
      ok: stdio,
      'no-slug': { ...stdio, installation_id: 'i-3', server_slug: undefined },
      'bad-transport': { ...stdio, installation_id: 'i-4', transport_type: 'websocket' },
      'bad-url': {
        installation_id: 'i-5',
        team_id: 't',
        server_slug: 's',
        transport_type: 'http',
        url: 'ftp://x',
      },
      duplicate: stdio,
      'not-an-object': 'nope',
    });
    expect(servers.map((s) => s.id)).toEqual(['i-1']);
    expect(problems).toEqual([
      'mcp_servers["no-slug"] skipped: server_slug is missing',
      'mcp_servers["bad-transport"] skipped: transport_type must be "stdio", "http" or "sse"',
      'mcp_servers["bad-url"] skipped: url must be an http(s) URL',
      'mcp_servers["duplicate"] skipped: installation_id i-1 appears twice (it must be unique)',
      'mcp_servers["not-an-object"] is not an object; skipped',
    ]);
    expect(problems.join(' ')).not.toContain('s3cr3t-value');
  });

  it('ignores (and reports) bad optional fields, keeping the server', () => {
    const { servers, problems } = mapBackendServers({
      n: { ...stdio, args: ['ok', 3], env: { A: 'x', B: { nested: true } }, enabled: false },
    });
    expect(servers[0]).toMatchObject({ args: ['ok'], env: { A: 'x' }, enabled: false });
    expect(problems).toEqual([
      'mcp_servers["n"].args[1] must be a string; ignored',
      'mcp_servers["n"].env.B must be a string; ignored',
    ]);
  });

  it('never parses the installation name', () => {
    const { servers } = mapBackendServers({
      'team-x-filesystem-i-9': { ...stdio, installation_id: 'real-id' },
    });
    expect(servers[0]).toMatchObject({ id: 'real-id', team: 't-1', slug: 'filesystem' });
  });
});
