import { describe, expect, it } from '@jest/globals';
import { trimDescription } from './discover.service.js';

describe('trimDescription', () => {
  it('normalises whitespace and keeps short descriptions whole', () => {
    expect(trimDescription('  Echoes back\n\n the   input  ')).toBe('Echoes back the input');
  });

  it('cuts long descriptions at a sentence, else a word, boundary', () => {
    const cut = trimDescription('first sentence is long enough to count. ' + 'x'.repeat(300), 120);
    expect(cut).toBe('first sentence is long enough to count.…');
    const words = trimDescription('alpha beta gamma delta '.repeat(20), 50);
    expect(words.length).toBeLessThanOrEqual(51);
    expect(words.endsWith('…')).toBe(true);
    expect(words).not.toMatch(/ …$/);
  });
});
