import { LatencyHistogram } from './latency-histogram.js';
import type { UsageReport } from './usage-call.js';
import type { SavedRow, UsageRow } from './usage.store.js';

interface Sum {
  calls: number;
  errors: number;
  bytes: number;
  tokens: number;
  latency?: LatencyHistogram;
}

/** Folds hourly rows into the answer of `GET /api/usage`; tools sorted by calls, most first. */
export function summarize(input: {
  rows: readonly UsageRow[];
  saved: readonly SavedRow[];
  since: string;
  until: string;
}): UsageReport {
  const tools = new Map<string, Sum & { server: string }>();
  const servers = new Map<string, Sum>();
  const teams = new Map<string, Sum>();
  const clients = new Map<string, Sum>();
  for (const row of input.rows) {
    add(tools, row.tool, row, true, { server: row.server });
    add(servers, row.server, row, true);
    add(teams, row.team, row, false);
    add(clients, row.client, row, false);
  }
  const byCalls = <T extends { calls: number }>(a: [string, T], b: [string, T]) =>
    b[1].calls - a[1].calls || a[0].localeCompare(b[0]);
  return {
    since: input.since,
    until: input.until,
    tools: [...tools].sort(byCalls).map(([tool_path, s]) => ({
      tool_path,
      server: s.server,
      calls: s.calls,
      errors: s.errors,
      p50_ms: ms(s.latency!.quantile(0.5)),
      p95_ms: ms(s.latency!.quantile(0.95)),
      bytes_returned: s.bytes,
      tokens_returned: s.tokens,
    })),
    servers: [...servers].sort(byCalls).map(([server, s]) => ({
      server,
      calls: s.calls,
      errors: s.errors,
      p50_ms: ms(s.latency!.quantile(0.5)),
      p95_ms: ms(s.latency!.quantile(0.95)),
    })),
    teams: [...teams]
      .sort(byCalls)
      .map(([team, s]) => ({ team, calls: s.calls, errors: s.errors })),
    clients: [...clients]
      .sort(byCalls)
      .map(([client, s]) => ({ client, calls: s.calls, errors: s.errors })),
    tokens_saved: input.saved.reduce(
      (acc, r) => ({ sessions: acc.sessions + r.sessions, tokens: acc.tokens + r.tokens }),
      { sessions: 0, tokens: 0 },
    ),
  };
}

function add<S extends Sum>(
  into: Map<string, S>,
  key: string,
  row: UsageRow,
  withLatency: boolean,
  extra?: Omit<S, keyof Sum>,
): void {
  let sum = into.get(key);
  if (!sum) {
    sum = {
      calls: 0,
      errors: 0,
      bytes: 0,
      tokens: 0,
      ...(withLatency ? { latency: new LatencyHistogram() } : {}),
      ...extra,
    } as S;
    into.set(key, sum);
  }
  sum.calls += row.calls;
  sum.errors += row.errors;
  sum.bytes += row.bytes;
  sum.tokens += row.tokens;
  sum.latency?.merge(row.latency);
}

/** Milliseconds to two decimals (0 without calls, which a listed row never is). */
function ms(value: number | undefined): number {
  return Math.round((value ?? 0) * 100) / 100;
}
