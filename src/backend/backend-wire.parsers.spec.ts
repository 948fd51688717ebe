import { describe, expect, it } from '@jest/globals';
import { BackendUnavailableError } from './backend.errors.js';
import {
  parseCommandPoll,
  parseConfig,
  parseIntrospection,
  parseRegistered,
} from './backend-wire.parsers.js';

describe('backend answer parsers', () => {
  it('treat a malformed answer as an unavailable backend', () => {
    expect(() => parseRegistered({ success: true, satellite: { id: 'x' } })).toThrow(
      BackendUnavailableError,
    );
    expect(() => parseCommandPoll({ polling_mode: 'slow' })).toThrow(/without `commands`/);
    expect(() => parseConfig({ satellite_config: {} })).toThrow(/without `mcp_servers`/);
    expect(() => parseIntrospection({ sub: 'u' })).toThrow(/without `active`/);
  });

  it('skip commands that cannot be run or answered, default the rest', () => {
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

  it('read an inactive token as just inactive, whatever else it says', () => {
    expect(parseIntrospection({ active: false, sub: 'u', scope: 'mcp:read' })).toEqual({
      active: false,
    });
  });
});
