import { describe, expect, it } from '@jest/globals';
import { traceContextOf, traceIdOf, traceMeta, validTraceparent } from './trace-context.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context (W3C)', () => {
  it('accepts well-formed traceparents and refuses the rest', () => {
    expect(validTraceparent(TP)).toBe(TP);
    // A later version may append fields; version 00 may not.
    expect(validTraceparent(`01${TP.slice(2)}-extra`)).toBe(`01${TP.slice(2)}-extra`);
    for (const bad of [
      `${TP}-extra`,
      `ff${TP.slice(2)}`,
      TP.toUpperCase(),
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
      'garbage',
      42,
      undefined,
    ])
      expect(validTraceparent(bad)).toBeUndefined();
    expect(traceIdOf(TP)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('takes _meta first, else the headers; drops an invalid one with what came with it', () => {
    const headers = { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` };
    expect(traceContextOf({ traceparent: TP, tracestate: 'a=1', baggage: 'k=v' }, headers)).toEqual(
      { traceparent: TP, tracestate: 'a=1', baggage: 'k=v' },
    );
    expect(traceContextOf(undefined, headers)).toEqual({ traceparent: headers.traceparent });
    expect(traceContextOf({ traceparent: 'bad', tracestate: 'a=1' }, headers)).toBeUndefined();
    expect(traceContextOf({}, {})).toBeUndefined();
  });

  it('cuts a long tracestate by whole members and refuses non-printable values', () => {
    const members = Array.from({ length: 40 }, (_, i) => `vendor${i}=${'x'.repeat(10)}`);
    const trace = traceContextOf({
      traceparent: TP,
      tracestate: members.join(','),
      baggage: 'a\nb',
    });
    expect(trace?.tracestate?.length).toBeLessThanOrEqual(512);
    expect(trace?.tracestate?.split(',').every((m) => members.includes(m))).toBe(true);
    expect(trace?.baggage).toBeUndefined();
    expect(traceMeta(trace)).toEqual({ traceparent: TP, tracestate: trace?.tracestate });
    expect(traceMeta(undefined)).toEqual({});
  });
});
