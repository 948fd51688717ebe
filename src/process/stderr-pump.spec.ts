import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { ServerLogEntry } from '../events/event-map.js';
import { ProcessTuning } from './process-tuning.js';
import { StderrPump } from './stderr-pump.js';

function pump(over: Partial<ProcessTuning> = {}) {
  const clock = new ManualClock();
  const logged: ServerLogEntry[] = [];
  const batches: ServerLogEntry[][] = [];
  const p = new StderrPump({
    tuning: ProcessTuning.with({
      stderrBurst: 5,
      stderrLinesPerSecond: 2,
      logBatchSize: 3,
      logFlushMs: 1000,
      maxStderrLineBytes: 20,
      ...over,
    }),
    clock,
    redact: (s) => s.replaceAll('hunter2', '[REDACTED]'),
    sink: { log: (e) => logged.push(e), batch: (b) => batches.push(b) },
  });
  return { p, clock, logged, batches };
}

describe('StderrPump', () => {
  it('splits lines, classifies levels, redacts secrets and batches for mcp.server.logs', () => {
    const { p, clock, logged, batches } = pump();
    p.push(Buffer.from('Error: boom\nwarning: hm\npassword hunter2\npart'));
    p.push(Buffer.from('ial\n'));
    expect(logged.map((e) => [e.level, e.message])).toEqual([
      ['error', 'Error: boom'],
      ['warn', 'warning: hm'],
      ['info', 'password [REDACTED]'],
      ['info', 'partial'],
    ]);
    expect(batches.map((b) => b.length)).toEqual([3]);
    clock.advance(1000);
    expect(batches.map((b) => b.length)).toEqual([3, 1]);
  });

  it('rate-limits with a token bucket and reports how many lines it dropped', () => {
    const { p, clock, logged } = pump();
    p.push(Buffer.from(Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join('')));
    expect(logged).toHaveLength(5);
    clock.advance(1000); // 2 tokens back
    p.push(Buffer.from('after\n'));
    expect(logged.slice(5).map((e) => e.message)).toEqual([
      '45 stderr line(s) dropped by the rate limit (2/s)',
      'after',
    ]);
    expect(p.recent().at(-1)).toBe('after');
  });

  it('truncates an endless line at the cap and skips the rest of it', () => {
    const { p, logged } = pump({ stderrBurst: 100 });
    p.push(Buffer.from('x'.repeat(50)));
    p.push(Buffer.from('y'.repeat(50)));
    p.push(Buffer.from('zz\nnext\n'));
    expect(logged.map((e) => e.message)).toEqual([`${'x'.repeat(20)} …[truncated]`, 'next']);
  });

  it('close flushes what is pending, including a last line without newline', () => {
    const { p, batches } = pump();
    p.push(Buffer.from('last words'));
    p.close();
    expect(batches.flat().map((e) => e.message)).toEqual(['last words']);
  });
});
