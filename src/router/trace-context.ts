import { Logger } from '@nestjs/common';

/**
 * W3C trace context of one request (docs/tasks.md "Trace context"). The same shape as
 * `TraceContext` of src/tasks/task-api.ts, declared here because the router may not import the
 * tasks module (docs/architecture.md).
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
  baggage?: string;
}

// W3C Trace Context §3.2: version-traceid-parentid-flags, lowercase hex. Version ff is invalid;
// a later version may append fields after a dash (§3.2.4), version 00 may not.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
// W3C Trace Context §3.3.1.1: at most 512 characters are worth passing on; printable ASCII only.
const MAX_TRACESTATE = 512;
// W3C Baggage §3.3.1: 8192 bytes in all.
const MAX_BAGGAGE = 8192;
const PRINTABLE = /^[\x20-\x7e]*$/;

const logger = new Logger('TraceContext');

/** The traceparent if it is well formed, else undefined. */
export function validTraceparent(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId, , rest] = m;
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return value.trim();
}

/**
 * The trace context of a request: from its `_meta` (`traceparent`, `tracestate`, `baggage`)
 * first, else from the HTTP headers of the same names. An invalid traceparent is dropped, with a
 * debug line, and with it the rest (tracestate and baggage mean nothing without it).
 */
export function traceContextOf(
  meta: Record<string, unknown> | undefined,
  headers?: Record<string, string | string[] | undefined>,
): TraceContext | undefined {
  const header = (name: string) => {
    const v = headers?.[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const fromMeta = meta?.traceparent !== undefined;
  const source = fromMeta
    ? { traceparent: meta?.traceparent, tracestate: meta?.tracestate, baggage: meta?.baggage }
    : {
        traceparent: header('traceparent'),
        tracestate: header('tracestate'),
        baggage: header('baggage'),
      };
  if (source.traceparent === undefined) return undefined;
  const traceparent = validTraceparent(source.traceparent);
  if (!traceparent) {
    logger.debug(
      `dropped an invalid traceparent from the request's ${fromMeta ? '_meta' : 'headers'}: ${JSON.stringify(source.traceparent).slice(0, 80)}`,
    );
    return undefined;
  }
  const trace: TraceContext = { traceparent };
  const { tracestate, baggage } = source;
  if (typeof tracestate === 'string' && PRINTABLE.test(tracestate) && tracestate.trim()) {
    // Too long: whole list-members are dropped from the end (W3C Trace Context §3.3.1.1).
    let kept = tracestate.trim();
    while (kept.length > MAX_TRACESTATE && kept.includes(','))
      kept = kept.slice(0, kept.lastIndexOf(','));
    if (kept.length <= MAX_TRACESTATE) trace.tracestate = kept;
  }
  if (
    typeof baggage === 'string' &&
    PRINTABLE.test(baggage) &&
    baggage.trim() &&
    baggage.length <= MAX_BAGGAGE
  )
    trace.baggage = baggage;
  return trace;
}

/** The `_meta` fields that carry `trace` to an upstream. */
export function traceMeta(trace: TraceContext | undefined): Record<string, string> {
  if (!trace) return {};
  return {
    traceparent: trace.traceparent,
    ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
    ...(trace.baggage ? { baggage: trace.baggage } : {}),
  };
}

/** The trace id (second field) of a valid traceparent. */
export function traceIdOf(traceparent: string): string {
  return traceparent.split('-')[1] ?? '';
}
