import { describe, expect, it } from '@jest/globals';
import { parseServerConfig, ServerConfigError } from './mcp-server-file.js';

const parse = (doc: unknown) => parseServerConfig(JSON.stringify(doc), '/etc/satellite/mcp.json');

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ServerConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ServerConfigError');
}

describe('parseServerConfig (Claude Desktop / Cursor / VS Code format)', () => {
  it('reads stdio and HTTP entries keyed by slug, with the satellite fields', () => {
    const defs = parse({
      mcpServers: {
        memory: {
          command: 'npx',
          args: ['-y', '@modelcontextprotocol/server-memory'],
          env: { MEMORY_FILE_PATH: '/tmp/m.json' },
        },
        remote: {
          type: 'http',
          url: 'https://mcp.example.com/mcp',
          headers: { Authorization: 'Bearer abcdef' },
          team: 'ops',
          timeout: 5000,
        },
        legacy: {
          type: 'sse',
          url: 'http://127.0.0.1:9000/sse',
          enabled: false,
          description: 'old one',
        },
      },
    });
    expect(defs).toEqual([
      expect.objectContaining({
        id: 'memory',
        slug: 'memory',
        team: 'default',
        transport: 'stdio',
        command: 'npx',
        enabled: true,
        secrets: ['/tmp/m.json'],
      }),
      expect.objectContaining({
        slug: 'remote',
        transport: 'http',
        team: 'ops',
        timeoutMs: 5000,
        secrets: ['Bearer abcdef'],
      }),
      expect.objectContaining({
        slug: 'legacy',
        transport: 'sse',
        enabled: false,
        description: 'old one',
      }),
    ]);
  });

  it('accepts the VS Code "servers" key and the stdio / streamable-http type names', () => {
    const defs = parse({
      servers: {
        a: { type: 'stdio', command: 'node' },
        b: { type: 'streamable-http', url: 'http://localhost:1/mcp' },
      },
    });
    expect(defs.map((d) => d.transport)).toEqual(['stdio', 'http']);
  });

  it('resolves a relative cwd against the config file directory', () => {
    const [def] = parse({ mcpServers: { a: { command: 'node', cwd: '..' } } });
    expect(def).toMatchObject({ cwd: '/etc' });
  });

  it('names every problem at once', () => {
    const problems = problemsOf(() =>
      parse({
        mcpServers: {
          'bad slug!': { command: 'x' },
          nocmd: { type: 'stdio', args: 'not-an-array' },
          badurl: { type: 'http', url: 'ftp://x' },
          what: { type: 'carrier-pigeon' },
          t: { command: 'x', timeout: 'soon', env: { A: { nested: true } } },
        },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('mcpServers.bad slug!: the key is the server slug'),
        expect.stringContaining('mcpServers.nocmd.command must be a non-empty string'),
        expect.stringContaining('mcpServers.nocmd.args must be an array of strings'),
        expect.stringContaining('mcpServers.badurl.url must be an http(s) URL'),
        expect.stringContaining('mcpServers.what.type must be'),
        expect.stringContaining('mcpServers.t.timeout must be a number'),
        expect.stringContaining('mcpServers.t.env.A must be a string'),
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it("accepts every field of docs/configuration.md and ignores other clients' fields", () => {
    const [stdio, remote] = parse({
      mcpServers: {
        fs: {
          type: 'stdio',
          command: 'node',
          args: ['server.js'],
          env: { PORT: 8080, DEBUG: true },
          cwd: 'srv',
          team: 'ops',
          enabled: true,
          timeout: 2000,
          description: 'files',
          network: { allow: ['api.github.com:443'], egress: false },
          mounts: ['/srv/data', { path: 'out', writable: true }],
          alwaysAllow: ['read_file'],
        },
        api: { type: 'streamableHttp', url: 'https://x.example.com/mcp', headers: { A: 'b' } },
      },
    });
    expect(stdio).toEqual({
      id: 'fs',
      slug: 'fs',
      team: 'ops',
      enabled: true,
      description: 'files',
      timeoutMs: 2000,
      transport: 'stdio',
      command: 'node',
      args: ['server.js'],
      env: { PORT: '8080', DEBUG: 'true' },
      cwd: '/etc/satellite/srv',
      network: { egress: false, allow: [expect.objectContaining({ host: 'api.github.com' })] },
      mounts: [
        { path: '/srv/data', writable: false },
        { path: '/etc/satellite/out', writable: true },
      ],
      secrets: ['8080', 'true'],
    });
    expect(remote).toMatchObject({ transport: 'http', url: 'https://x.example.com/mcp' });
  });

  it('names the server, the field path and what was expected for network and mounts', () => {
    const problems = problemsOf(() =>
      parse({
        mcpServers: {
          a: { command: 'x', network: 'open', mounts: ['/ok', { path: '/p', writable: 'yes' }, 3] },
          b: { command: 'x', network: { allow: ['ok.com', 'bad host'] }, team: 'no team' },
          c: {},
        },
      }),
    );
    expect(problems).toEqual([
      'mcpServers.a.network must be "none", "egress" or {"allow": ["host[:port]" | "cidr[:port]", …], "egress": false}',
      'mcpServers.a.mounts[1].writable must be a boolean',
      'mcpServers.a.mounts[2] must be a path or {"path": string, "writable": boolean}',
      'mcpServers.b.team must match /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/',
      expect.stringMatching(/^mcpServers\.b\.network\.allow\[1\]: "bad host" is not a host/),
      'mcpServers.c.type must be "stdio", "http", "streamable-http" or "sse" (or give "command" or "url")',
    ]);
  });

  it('rejects malformed JSON and a missing server map with a clear message', () => {
    expect(problemsOf(() => parseServerConfig('{ "mcpServers": ', 'x.json'))[0]).toMatch(
      /^not valid JSON/,
    );
    expect(problemsOf(() => parse({ other: {} }))).toEqual([
      'no "mcpServers" (or "servers") object',
    ]);
    expect(problemsOf(() => parse({ mcpServers: [] }))).toEqual([
      '"mcpServers" must be an object keyed by server slug',
    ]);
  });
});
