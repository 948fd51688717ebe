import { describe, expect, it } from '@jest/globals';
import { parseServerConfig, ServerConfigError } from './mcp-server-file.js';

// The `urls` field of an HTTP/SSE entry: an instance pool (docs/configuration.md).
const parse = (entry: Record<string, unknown>) =>
  parseServerConfig(JSON.stringify({ mcpServers: { pool: entry } }), '/etc/satellite/mcp.json');

describe('"urls": instance pools in the server file', () => {
  it('lists every instance, `url` first, without duplicates', () => {
    const [def] = parse({
      type: 'http',
      url: 'http://10.0.0.1:8080/mcp',
      urls: ['http://10.0.0.2:8080/mcp', 'http://10.0.0.1:8080/mcp', 'https://b.example/mcp'],
    });
    expect(def).toMatchObject({
      transport: 'http',
      url: 'http://10.0.0.1:8080/mcp',
      urls: ['http://10.0.0.1:8080/mcp', 'http://10.0.0.2:8080/mcp', 'https://b.example/mcp'],
    });
  });

  it('leaves `urls` unset for a server of one URL', () => {
    const [def] = parse({ url: 'http://10.0.0.1:8080/mcp' });
    expect(def).not.toHaveProperty('urls');
  });

  it.each([
    ['not an array', 'http://x/mcp'],
    ['empty', []],
    ['a non-URL', ['not a url']],
    ['a non-http URL', ['ftp://x/mcp']],
    ['a non-string', [42]],
  ])('refuses %s with a clear problem', (_what, urls) => {
    expect(() => parse({ type: 'http', url: 'http://10.0.0.1/mcp', urls })).toThrow(
      ServerConfigError,
    );
    try {
      parse({ type: 'http', url: 'http://10.0.0.1/mcp', urls });
    } catch (err) {
      expect((err as ServerConfigError).problems).toEqual([
        'mcpServers.pool.urls must be a non-empty array of http(s) URLs',
      ]);
    }
  });
});
