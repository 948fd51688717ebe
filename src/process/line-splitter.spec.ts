import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LineSplitter } from './line-splitter.js';

describe('LineSplitter', () => {
  it('splits lines across chunk boundaries and strips \\r', () => {
    const s = new LineSplitter(100);
    expect(s.push(Buffer.from('{"a":1}\n{"b"'))).toEqual({ lines: ['{"a":1}'], overflow: false });
    expect(s.push(Buffer.from(':2}\r\n\n'))).toEqual({ lines: ['{"b":2}', ''], overflow: false });
    expect(s.pending()).toBe(0);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const s = new LineSplitter(100);
    const bytes = Buffer.from('é€\n');
    expect(s.push(bytes.subarray(0, 1)).lines).toEqual([]);
    expect(s.push(bytes.subarray(1)).lines).toEqual(['é€']);
  });

  it('reports overflow once a line grows past the cap and holds no more than the cap', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('12345')).overflow).toBe(false);
    expect(s.pending()).toBe(5);
    expect(s.push(Buffer.from('678901'))).toEqual({ lines: [], overflow: true });
    expect(s.pending()).toBe(0);
  });

  it('delivers complete lines that precede an overflowing one', () => {
    const s = new LineSplitter(4);
    expect(s.push(Buffer.from('ok\nthis is too long'))).toEqual({ lines: ['ok'], overflow: true });
  });

  it('a line of exactly the cap passes', () => {
    expect(new LineSplitter(3).push(Buffer.from('abc\n'))).toEqual({
      lines: ['abc'],
      overflow: false,
    });
  });

  it('any chunking of a stream yields the same lines (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 20 }), { maxLength: 10 }),
        fc.array(fc.nat(30)),
        (lines, cuts) => {
          const text = Buffer.from(lines.map((l) => `${l.replace(/[\r\n]/g, '')}\n`).join(''));
          const s = new LineSplitter(1000);
          const out: string[] = [];
          let at = 0;
          for (const cut of [...cuts, text.length]) {
            const end = Math.min(text.length, at + cut);
            out.push(...s.push(text.subarray(at, end)).lines);
            at = end;
          }
          out.push(...s.push(text.subarray(at)).lines);
          expect(out).toEqual(lines.map((l) => l.replace(/[\r\n]/g, '')));
        },
      ),
    );
  });
});
