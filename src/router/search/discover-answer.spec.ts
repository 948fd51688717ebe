import { describe, expect, it } from '@jest/globals';
import { shapeDiscoverAnswer, trimDescription } from './discover-answer.js';

describe('discover answer', () => {
  it('trims long descriptions at a sentence end and keeps schemas as given', () => {
    const description = `First sentence here. ${'More words follow. '.repeat(40)}`;
    const schema = { type: 'object', properties: { q: { type: 'string' } } };
    const answer = shapeDiscoverAnswer({
      query: 'q',
      totalFound: 7,
      hits: [
        {
          score: 1.23456,
          tool: {
            path: 's-t',
            serverId: 's',
            serverSlug: 's',
            team: 'x',
            transport: 'http',
            name: 't',
            description,
            inputSchema: schema,
          },
        },
      ],
    });
    const [hit] = answer.tools;
    expect(hit.description.length).toBeLessThanOrEqual(401);
    expect(hit.description.endsWith('.…')).toBe(true);
    expect(hit.input_schema).toBe(schema);
    expect(hit.score).toBe(1.235);
    expect(answer.total_found).toBe(7);
    expect(trimDescription('short\n text')).toBe('short text');
  });
});
