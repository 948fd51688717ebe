// Invariant: with many clients on one upstream, every message of an upstream call reaches the
// client that made the call, and no other: progress, log messages, elicitation and sampling
// requests, responses and cancellation, whatever request ids and progress tokens the clients use
// (SDK clients all number their requests from 0, so those collide all the time). Property test:
// 2 to 16 clients on the direct endpoint, on /mcp (execute_mcp_tool) and on legacy /sse, random
// calls with random timing, against a Streamable HTTP upstream that tags everything it sends.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type Satellite, startSatellite } from '../support/satellite.js';
import { stdioEntry } from '../support/upstreams.js';
import {
  NOTIFY_SERVER,
  type NotifyHttp,
  Probe,
  type ProbeKind,
  startNotifyHttp,
  textOf,
} from '../support/routing-probe.js';

const RUNS = Number(process.env.ROUTING_RUNS ?? 25);

type Plan =
  | { tool: 'emit'; steps: number; delays: number[]; progress: 'sdk' | 'own' | 'none' }
  | { tool: 'ask' }
  | { tool: 'sample' }
  | { tool: 'hold' };

interface ClientPlan {
  kind: ProbeKind;
  startDelay: number;
  concurrent: boolean;
  calls: Plan[];
}

const planArb: fc.Arbitrary<Plan> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      tool: fc.constant('emit' as const),
      steps: fc.integer({ min: 0, max: 4 }),
      delays: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
      progress: fc.constantFrom('sdk' as const, 'own' as const, 'none' as const),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ tool: 'ask' as const }) },
  { weight: 1, arbitrary: fc.constant({ tool: 'sample' as const }) },
  { weight: 1, arbitrary: fc.constant({ tool: 'hold' as const }) },
);

const clientArb: fc.Arbitrary<ClientPlan> = fc.record({
  kind: fc.constantFrom<ProbeKind>('direct', 'direct', 'meta', 'sse'),
  startDelay: fc.integer({ min: 0, max: 15 }),
  concurrent: fc.boolean(),
  calls: fc.array(planArb, { minLength: 1, maxLength: 4 }),
});

interface Outcome {
  tag: string;
  plan: Plan;
  /** The progress token the client used: its own string, or the SDK's (the request id). */
  token?: string | number;
  result?: string;
  error?: string;
}

describe('exact routing with many clients on one upstream', () => {
  let sat: Satellite;
  let upstream: NotifyHttp;
  let run = 0;

  beforeAll(async () => {
    upstream = await startNotifyHttp();
    sat = await startSatellite({
      notify: { type: 'http', url: upstream.url },
      'notify-stdio': stdioEntry(NOTIFY_SERVER, ['stdio']),
    });
  }, 60_000);
  afterAll(async () => {
    await sat?.stop();
    await upstream?.stop();
  });

  /** One client's calls, sequential or all at once; holds are aborted at their first progress. */
  async function drive(probe: Probe, plan: ClientPlan, prefix: string): Promise<Outcome[]> {
    await new Promise((r) => setTimeout(r, plan.startDelay));
    const one = async (p: Plan, k: number): Promise<Outcome> => {
      const tag = `${prefix}-k${k}`;
      const out: Outcome = { tag, plan: p };
      try {
        let result;
        if (p.tool === 'emit') {
          const args = { tag, steps: p.steps, delays: p.delays };
          if (p.progress === 'own') {
            // The same token in every client (k-th call → "tok-k"), unique within one client.
            out.token = `tok-${k}`;
            result = await probe.call('emit', args, { progressToken: out.token });
          } else {
            result = await probe.call(
              'emit',
              args,
              p.progress === 'sdk' ? { onprogress: () => undefined } : {},
            );
          }
        } else if (p.tool === 'hold') {
          const controller = new AbortController();
          result = await probe.call(
            'hold',
            { tag, ms: 10_000 },
            { signal: controller.signal, onprogress: () => controller.abort('test') },
          );
        } else {
          result = await probe.call(p.tool, { tag });
        }
        out.result = textOf(result);
      } catch (err) {
        out.error = (err as Error).message;
      }
      return out;
    };
    if (plan.concurrent) return Promise.all(plan.calls.map((p, k) => one(p, k)));
    const outs: Outcome[] = [];
    for (const [k, p] of plan.calls.entries()) outs.push(await one(p, k));
    return outs;
  }

  /** Everything `probe` received belongs to its own calls, and each call got all of its own. */
  function check(probe: Probe, outcomes: Outcome[], logOrder: 'strict' | 'any' = 'strict'): void {
    const byTag = new Map(outcomes.map((o) => [o.tag, o]));
    const idOf = new Map([...probe.sent].map(([id, tag]) => [tag, id]));
    const tokenOf = (o: Outcome) => o.token ?? idOf.get(o.tag);

    // Results: each call got its own answer (elicitation and sampling answered by this client).
    for (const o of outcomes) {
      const expected = {
        emit: `${o.tag} done`,
        ask: `${o.tag} answered accept ${probe.name}`,
        sample: `${o.tag} sampled ${probe.name}`,
        hold: undefined,
      }[o.plan.tool];
      if (o.plan.tool === 'hold')
        expect({ tag: o.tag, error: o.error }).toEqual({ tag: o.tag, error: expect.any(String) });
      else
        expect({ tag: o.tag, result: o.result, error: o.error }).toEqual({
          tag: o.tag,
          result: expected,
          error: undefined,
        });
    }

    // Progress: every notification carries a token of one of this client's calls, and that call's tag.
    const progress = new Map<string, string[]>();
    for (const p of probe.notifications('notifications/progress')) {
      const owner = outcomes.find((o) => tokenOf(o) === p.progressToken);
      expect({ token: p.progressToken, owner: owner?.tag, message: p.message }).toEqual({
        token: p.progressToken,
        owner: expect.any(String),
        message: expect.stringMatching(new RegExp(`^${owner?.tag ?? 'none'}/`)),
      });
      progress.set(owner!.tag, [...(progress.get(owner!.tag) ?? []), String(p.message)]);
    }
    // Log messages: each names one of this client's calls.
    const logs = new Map<string, string[]>();
    for (const m of probe.notifications('notifications/message')) {
      const tag = String(m.data).split('/')[0];
      expect({ log: m.data, mine: byTag.has(tag) }).toEqual({ log: m.data, mine: true });
      logs.set(tag, [...(logs.get(tag) ?? []), String(m.data)]);
    }
    for (const o of outcomes) {
      if (o.plan.tool === 'emit') {
        const all = Array.from({ length: o.plan.steps }, (_, i) => `${o.tag}/${i}`);
        const got = logs.get(o.tag) ?? [];
        expect({ tag: o.tag, logs: logOrder === 'any' ? [...got].sort() : got }).toEqual({
          tag: o.tag,
          logs: all,
        });
        expect({ tag: o.tag, progress: progress.get(o.tag) ?? [] }).toEqual({
          tag: o.tag,
          progress: o.plan.progress === 'none' ? [] : all,
        });
      } else if (o.plan.tool === 'hold') {
        expect((progress.get(o.tag) ?? []).length).toBeGreaterThan(0);
      } else {
        expect({ tag: o.tag, progress: progress.get(o.tag), logs: logs.get(o.tag) }).toEqual({
          tag: o.tag,
          progress: undefined,
          logs: undefined,
        });
      }
    }
    // Nothing else: no other notification, no request but its own calls' questions.
    const methods = new Set(
      probe.inbound
        .filter((m) => 'method' in m && !('id' in m))
        .map((m) => (m as { method: string }).method),
    );
    for (const method of methods)
      expect(['notifications/progress', 'notifications/message']).toContain(method);
    const questions = outcomes.filter((o) => o.plan.tool === 'ask' || o.plan.tool === 'sample');
    expect([...probe.asked].sort()).toEqual(questions.map((o) => o.tag).sort());
    expect(
      probe
        .requests()
        .map((r) => r.method)
        .sort(),
    ).toEqual(
      questions
        .map((o) => (o.plan.tool === 'ask' ? 'elicitation/create' : 'sampling/createMessage'))
        .sort(),
    );
    // Responses: one per request it sent and did not cancel, and none for anyone else's.
    const cancelled = new Set(
      outcomes.filter((o) => o.plan.tool === 'hold').map((o) => idOf.get(o.tag)),
    );
    const toolResponses = probe.responseIds().filter((id) => probe.sent.has(id));
    expect(toolResponses.sort()).toEqual(
      [...probe.sent.keys()].filter((id) => !cancelled.has(id)).sort(),
    );
    const others = probe.responseIds().filter((id) => !probe.sent.has(id));
    expect(others).toEqual([]); // (the initialize response came before the recording started)
  }

  it('each of N clients with colliding ids and tokens receives exactly its own messages', async () => {
    let clients = 0;
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(clientArb, { minLength: 2, maxLength: 16 }), async (plans) => {
        const r = ++run;
        const probes = await Promise.all(
          plans.map((p, i) => Probe.open(sat.baseUrl, 'notify', p.kind, `r${r}c${i}`)),
        );
        try {
          const outcomes = await Promise.all(
            probes.map((probe, i) => drive(probe, plans[i], `r${r}c${i}`)),
          );
          // Requests ids collide across clients: that is the point.
          const firstIds = probes.map((p) => [...p.sent.keys()][0]);
          expect(new Set(firstIds).size).toBeLessThan(probes.length + 1);
          probes.forEach((probe, i) => check(probe, outcomes[i]));
          // Cancellation reached the upstream for exactly the calls that were cancelled.
          const held = outcomes
            .flat()
            .filter((o) => o.plan.tool === 'hold')
            .map((o) => o.tag);
          if (held.length > 0) {
            const seen = await waitForCancelled(probes[0], held);
            const mine = seen.filter((t) => t.startsWith(`r${r}c`));
            expect(mine.sort()).toEqual([...held].sort());
          }
          clients += probes.length;
          calls += outcomes.flat().length;
        } finally {
          await Promise.all(probes.map((p) => p.close()));
        }
      }),
      { numRuns: RUNS },
    );
    console.log(`routing property: ${RUNS} runs, ${clients} clients, ${calls} calls`);
  }, 120_000);

  // A stdio upstream's progress and result often arrive in one chunk (always when sent back to
  // back, and whenever the satellite's event loop stalls longer than the gap between them):
  // every progress notification still reaches the client, before the result.
  it('a stdio upstream: progress sent back to back with the result all arrives', async () => {
    for (const kind of ['direct', 'meta'] as const) {
      const probe = await Probe.open(sat.baseUrl, 'notify-stdio', kind, `burst-${kind}`);
      try {
        const counts: number[] = [];
        for (let i = 0; i < 5; i++) {
          let seen = 0;
          const r = await probe.call(
            'emit',
            { tag: `burst-${kind}-${i}`, steps: 4 },
            { onprogress: () => void seen++ },
          );
          expect(textOf(r)).toBe(`burst-${kind}-${i} done`);
          counts.push(seen);
        }
        expect({ kind, counts }).toEqual({ kind, counts: [4, 4, 4, 4, 4] });
      } finally {
        await probe.close();
      }
    }
  }, 30_000);

  // stdio carries nothing that links a server→client message to the request that caused it. The
  // satellite attributes such messages only when all calls in flight come from one session.
  it('a stdio upstream: the concurrent calls of one session get all of their own messages', async () => {
    for (const kind of ['direct', 'meta'] as const) {
      const probe = await Probe.open(sat.baseUrl, 'notify-stdio', kind, `solo-${kind}`);
      try {
        const calls: Plan[] = [
          { tool: 'emit', steps: 3, delays: [2, 2, 2], progress: 'sdk' },
          { tool: 'emit', steps: 2, delays: [1, 1], progress: 'own' },
          { tool: 'ask' },
          { tool: 'sample' },
          { tool: 'emit', steps: 1, delays: [], progress: 'none' },
        ];
        const plan = { kind, startDelay: 0, concurrent: true, calls };
        // A stdio call's log messages may travel on a sibling call's stream of the same session
        // (nothing says which call they belong to), so their order across streams is not fixed.
        check(probe, await drive(probe, plan, `solo-${kind}`), 'any');
      } finally {
        await probe.close();
      }
    }
  }, 30_000);

  it('a stdio upstream: with several sessions in flight, progress and cancellation stay exact and nothing goes to the wrong client', async () => {
    const a = await Probe.open(sat.baseUrl, 'notify-stdio', 'direct', 'stdio-a');
    const b = await Probe.open(sat.baseUrl, 'notify-stdio', 'meta', 'stdio-b');
    try {
      // a: a long call with progress, so that a call of another session is in flight throughout.
      const controller = new AbortController();
      let aProgress = 0;
      let firstProgress!: () => void;
      const started = new Promise<void>((r) => (firstProgress = r));
      const held = a
        .call(
          'hold',
          { tag: 'stdio-a-hold', ms: 20_000 },
          {
            signal: controller.signal,
            onprogress: () => {
              aProgress++;
              firstProgress();
            },
          },
        )
        .then(
          () => 'completed',
          (err: Error) => err.message,
        );
      await started;
      // b: progress under the same request id as a's call (both are each client's first call).
      let bProgress = 0;
      const emitted = await b.call(
        'emit',
        { tag: 'stdio-b-emit', steps: 3, delays: [5, 5, 5] },
        { onprogress: () => void bProgress++ },
      );
      expect(textOf(emitted)).toBe('stdio-b-emit done');
      expect(bProgress).toBe(3);
      expect([...a.sent.keys()][0]).toBe([...b.sent.keys()][0]);
      // b's question cannot be told apart from one of a's call: refused, asked of nobody.
      const asked = await b.call('ask', { tag: 'stdio-b-ask' });
      expect(asked.isError).toBe(true);
      expect(textOf(asked)).toMatch(
        /elicitation\/create cannot be attributed to one of the 2 clients/,
      );
      expect([a.asked, b.asked]).toEqual([[], []]);
      // Cancelling a's call cancels that call upstream, and nothing of b's.
      const before = aProgress;
      controller.abort('test');
      expect(await held).not.toBe('completed'); // the client's own abort
      expect(before).toBeGreaterThan(0);
      const cancelled = await waitForCancelled(b, ['stdio-a-hold']);
      expect(cancelled.filter((t) => t.startsWith('stdio-'))).toEqual(['stdio-a-hold']);
      // Neither received anything of the other's.
      const tags = (p: Probe) =>
        p.inbound.flatMap((m) => {
          const params = (m as { params?: { message?: unknown; data?: unknown } }).params;
          return [params?.message, params?.data].filter((x): x is string => typeof x === 'string');
        });
      expect(tags(a).filter((t) => !t.startsWith('stdio-a'))).toEqual([]);
      expect(tags(b).filter((t) => !t.startsWith('stdio-b'))).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  /** The notify server's list of cancelled holds, once it holds every tag in `tags` (bounded). */
  async function waitForCancelled(probe: Probe, tags: string[]): Promise<string[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const seen = JSON.parse(textOf(await probe.call('cancelled', {}))) as string[];
      if (tags.every((t) => seen.includes(t)) || Date.now() > deadline) return seen;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});
