import { describe, expect, it } from '@jest/globals';
import { parseServerConfig, ServerConfigError } from './mcp-server-file.js';

const parse = (entry: Record<string, unknown>) =>
  parseServerConfig(
    JSON.stringify({ mcpServers: { s: { url: 'http://127.0.0.1/mcp', ...entry } } }),
    '/x/mcp.json',
  );

describe('toolPinning and approvedToolsHash in the server file', () => {
  it('reads both', () => {
    const hash = 'a'.repeat(64);
    expect(parse({ toolPinning: 'hold', approvedToolsHash: hash })[0]).toMatchObject({
      toolPinning: 'hold',
      approvedToolsHash: hash,
    });
    expect(parse({})[0]).not.toHaveProperty('toolPinning');
  });

  it('names every bad value', () => {
    let error: unknown;
    try {
      parse({ toolPinning: 'block', approvedToolsHash: 'xyz' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ServerConfigError);
    expect((error as ServerConfigError).problems).toEqual([
      'mcpServers.s.toolPinning must be "warn" or "hold"',
      'mcpServers.s.approvedToolsHash must be a tool-set hash (64 lowercase hex digits)',
    ]);
  });
});
