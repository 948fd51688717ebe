// Properties of the ranking on a catalog it was never tuned on (test/support/search-catalog.ts)
// and on small made-up indexes that show one behaviour each, and the index contract: filters
// before ranking, '*' listing, per-server incremental updates. How well it ranks real requests is
// measured by `npm run bench:search` (bench/), not pinned here.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { UNKNOWN_WORDS, UNSEEN_CATALOG } from '../../../test/support/search-catalog.js';
import type { IndexedTool } from './indexed-tool.js';
import { ToolSearchIndex } from './tool-search-index.js';

const SERVERS = Object.keys(UNSEEN_CATALOG);
const ALL_TOOLS = SERVERS.flatMap((slug) => UNSEEN_CATALOG[slug].map((t) => ({ slug, ...t })));

function toolsOf(
  slug: string,
  opts: { team?: string; serverId?: string; servedAs?: string } = {},
): IndexedTool[] {
  const served = opts.servedAs ?? slug;
  return UNSEEN_CATALOG[slug].map((t) => ({
    path: `${served}-${t.name}`,
    serverId: opts.serverId ?? served,
    serverSlug: served,
    team: opts.team ?? 'default',
    transport: 'stdio' as const,
    name: t.name,
    description: t.description,
    inputSchema: t.inputSchema,
  }));
}

function fullIndex(): ToolSearchIndex {
  const index = new ToolSearchIndex();
  for (const slug of SERVERS) index.replaceServer(slug, toolsOf(slug));
  return index;
}

/** A made-up tool of a made-up server, for small indexes that show one behaviour. */
function smallTool(server: string, name: string, description: string): IndexedTool {
  return {
    path: `${server}-${name}`,
    serverId: server,
    serverSlug: server,
    team: 'default',
    transport: 'stdio',
    name,
    description,
    inputSchema: {},
  };
}

const top = (index: ToolSearchIndex, query: string, limit = 5) =>
  index.search({ query, limit }).hits.map((h) => h.tool.path);

describe('ToolSearchIndex ranking properties (a catalog it was not tuned on)', () => {
  const index = fullIndex();
  const queryWords = [
    ...new Set(
      ALL_TOOLS.flatMap(
        (t) => `${t.name} ${t.description}`.toLowerCase().match(/[a-z]{3,}/g) ?? [],
      ),
    ),
  ];
  const anyQuery = fc
    .array(fc.constantFrom(...queryWords, ...UNKNOWN_WORDS), { minLength: 1, maxLength: 6 })
    .map((words) => words.join(' '));
  const catalogQuery = fc
    .array(fc.constantFrom(...queryWords), { minLength: 1, maxLength: 4 })
    .map((words) => words.join(' '));

  it("ranks a tool first for its exact name, its name's words, and its whole description", () => {
    for (const t of ALL_TOOLS) {
      const path = `${t.slug}-${t.name}`;
      for (const query of [t.name, t.name.replace(/_/g, ' '), t.description]) {
        expect({ query, top: top(index, query, 3)[0] }).toEqual({ query, top: path });
      }
    }
  });

  it('answers at most `limit` hits, best first, all scored above zero', () => {
    fc.assert(
      fc.property(anyQuery, fc.integer({ min: 1, max: 12 }), (query, limit) => {
        const { hits, totalFound } = index.search({ query, limit });
        expect(hits.length).toBeLessThanOrEqual(limit);
        expect(totalFound).toBeGreaterThanOrEqual(hits.length);
        const scores = hits.map((h) => h.score);
        expect(scores).toEqual([...scores].sort((x, y) => y - x));
        expect(scores.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
      }),
    );
  });

  it("with a server filter, answers only that server's tools, found among all of them", () => {
    fc.assert(
      fc.property(anyQuery, fc.constantFrom(...SERVERS), (query, server) => {
        const filtered = index.search({ query, limit: 50, server });
        expect(filtered.hits.every((h) => h.tool.serverSlug === server)).toBe(true);
        const all = index.search({ query, limit: 500 }).hits.map((h) => h.tool.path);
        expect(filtered.hits.every((h) => all.includes(h.tool.path))).toBe(true);
      }),
    );
  });

  it('keeps a clear winner first when an unrelated tool is added', () => {
    // A tool made only of words the query does not hold (UNKNOWN_WORDS).
    const unrelated: IndexedTool = {
      path: 'other-zyxoplat_quembrith',
      serverId: 'other',
      serverSlug: 'other',
      team: 'default',
      transport: 'stdio',
      name: 'zyxoplat_quembrith',
      description: `${UNKNOWN_WORDS.join(' ')}.`,
      inputSchema: {},
    };
    const bigger = fullIndex();
    bigger.replaceServer('other', [unrelated]);
    let clear = 0;
    fc.assert(
      fc.property(catalogQuery, (query) => {
        const [first, second] = index.search({ query, limit: 2 }).hits;
        fc.pre(first !== undefined && (!second || first.score >= 1.5 * second.score)); // a clear winner
        clear++;
        expect(bigger.search({ query, limit: 1 }).hits[0]?.tool.path).toBe(first.tool.path);
      }),
      { numRuns: 200 },
    );
    expect(clear).toBeGreaterThan(10);
  });

  it('answers the same input with the same output, however the index was built', () => {
    const reversed = new ToolSearchIndex();
    for (const slug of [...SERVERS].reverse()) reversed.replaceServer(slug, toolsOf(slug));
    fc.assert(
      fc.property(anyQuery, (query) => {
        const once = index.search({ query, limit: 10 });
        expect(index.search({ query, limit: 10 })).toEqual(once);
        expect(fullIndex().search({ query, limit: 10 })).toEqual(once);
        expect(reversed.search({ query, limit: 10 }).hits.map((h) => h.score)).toEqual(
          once.hits.map((h) => h.score),
        );
      }),
      { numRuns: 40 },
    );
  });

  it('finds nothing for words it has never seen, and does not fail on odd input', () => {
    for (const query of [...UNKNOWN_WORDS, UNKNOWN_WORDS.join(' ')])
      expect(index.search({ query, limit: 5 })).toEqual({ hits: [], totalFound: 0 });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        (query, limit) => {
          const { hits } = index.search({ query, limit });
          expect(hits.length).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });

  it('finds nothing for a query without meaningful words', () => {
    expect(index.search({ query: 'the of and', limit: 5 })).toEqual({ hits: [], totalFound: 0 });
  });
});

describe('ToolSearchIndex ranking behaviours (small made-up indexes)', () => {
  it('prefers the tool whose text holds consecutive query words together', () => {
    const tool = (name: string, description: string) => smallTool('s', name, description);
    const small = new ToolSearchIndex();
    small.replaceServer('s', [
      tool('inspect_one', 'Shows where a branch came from, and the base commit.'),
      tool('inspect_two', 'Shows the base branch of a merge.'),
    ]);
    const hits = small.search({ query: 'which base branch', limit: 2, explain: true }).hits;
    expect(hits.map((h) => [h.tool.name, h.factors?.['phrase']])).toEqual([
      ['inspect_two', 3],
      ['inspect_one', 1],
    ]);
  });

  it("lifts reading tools whose scope is the query's: one thing by reference, or many", () => {
    const small = new ToolSearchIndex();
    small.replaceServer('shop', [
      smallTool('shop', 'get_order', 'Returns one order of the shop.'),
      smallTool('shop', 'list_orders', 'Lists the orders of the shop.'),
      smallTool('shop', 'update_order', 'Changes an order of the shop.'),
    ]);
    const factor = (query: string, name: string) =>
      small.search({ query, limit: 10, explain: true }).hits.find((h) => h.tool.name === name)
        ?.factors?.['scope'];
    expect(factor('show order #77', 'get_order')).toBeGreaterThan(1);
    expect(factor('show order #77', 'list_orders')).toBe(1);
    expect(factor('which orders are open', 'list_orders')).toBeGreaterThan(1);
    expect(factor('which orders are open', 'get_order')).toBe(1);
    // Writing is not reading: no scope.
    expect(factor('update order #77', 'get_order')).toBe(1);
  });

  it('reads two swapped letters as the word (one typo, though two edits)', () => {
    const small = new ToolSearchIndex();
    const tool = (name: string, description: string) => smallTool('s', name, description);
    small.replaceServer('s', [
      tool('list_clusters', 'Lists the clusters of a project.'),
      tool('list_alerts', 'Lists the alerts of a project.'),
    ]);
    const hits = small.search({ query: 'project alrets', limit: 2 }).hits;
    expect(hits.map((h) => h.tool.name)).toEqual(['list_alerts', 'list_clusters']);
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
  });

  it("prefers the tool whose server also covers the query's other words", () => {
    const small = new ToolSearchIndex();
    small.replaceServer('courier', [
      smallTool('courier', 'ship_parcel', 'Ships a parcel.'),
      smallTool('courier', 'list_vans', 'Lists the vans.'),
    ]);
    small.replaceServer('depot', [
      smallTool('depot', 'ship_parcel', 'Ships a parcel.'),
      smallTool('depot', 'list_warehouses', 'Lists the warehouses.'),
    ]);
    const hits = small.search({
      query: 'ship a parcel from the warehouse',
      limit: 4,
      explain: true,
    }).hits;
    expect(hits[0].tool.path).toBe('depot-ship_parcel');
    const courier = hits.find((h) => h.tool.path === 'courier-ship_parcel')!;
    expect(hits[0].score).toBeGreaterThan(courier.score);
    expect(courier.factors?.['serverCoverage']).toBeLessThan(1);
  });

  it("lifts the tools of the server a query word belongs to, whatever the server's size", () => {
    const small = new ToolSearchIndex();
    // "pod" is rare and the small cluster server's own; "events" is spread over most tools of the
    // larger store server, so it tells less.
    small.replaceServer('cluster', [
      smallTool('cluster', 'describe_pod', 'Describes a pod.'),
      smallTool('cluster', 'pod_logs', 'Reads the logs of a pod.'),
    ]);
    small.replaceServer('store', [
      smallTool('store', 'list_events', 'Lists the events of the store.'),
      ...['orders', 'refunds', 'carts', 'payments', 'coupons'].map((thing) =>
        smallTool('store', `list_${thing}`, `Lists the ${thing} and their events.`),
      ),
    ]);
    const hits = small.search({ query: 'pod events', limit: 8, explain: true }).hits;
    const factor = (path: string) => hits.find((h) => h.tool.path === path)?.factors?.['owner'];
    expect(factor('cluster-describe_pod')).toBeGreaterThan(factor('store-list_events')!);
    const off = new ToolSearchIndex({ ownershipBoost: 0 });
    off.replaceServer('cluster', [smallTool('cluster', 'describe_pod', 'Describes a pod.')]);
    expect(off.search({ query: 'pod', limit: 1, explain: true }).hits[0].factors?.['owner']).toBe(
      1,
    );
  });

  it('ranks the tools of a server a leading label names first, even below other matches', () => {
    const small = new ToolSearchIndex();
    small.replaceServer('memory', [
      smallTool('memory', 'add_observations', 'Adds observations to stored entities.'),
    ]);
    small.replaceServer('crm', [
      smallTool('crm', 'update_contact', 'Updates a contact: their meetings and preferences.'),
    ]);
    const query = 'note that contact John prefers morning meetings';
    expect(top(small, query, 1)).toEqual(['crm-update_contact']);
    expect(top(small, `memory: ${query}`, 1)).toEqual(['memory-add_observations']);
    expect(top(small, `server: memory tool: ${query}`, 1)).toEqual(['memory-add_observations']);
  });

  it('gives ids no typo tolerance: abc123 is not a misspelt abc124', () => {
    const small = new ToolSearchIndex();
    small.replaceServer('s', [smallTool('s', 'get_item', 'Fetches item abc124 or any other.')]);
    expect(small.search({ query: 'abc124', limit: 5 }).totalFound).toBe(1);
    expect(small.search({ query: 'abc123', limit: 5 }).totalFound).toBe(0);
  });

  it('finds tools described in Chinese or Japanese by a word of their description', () => {
    const small = new ToolSearchIndex();
    small.replaceServer('cn', [
      smallTool('cn', 'create_repo', '创建一个新的存储库'),
      smallTool('cn', 'delete_file', 'ファイルを削除します'),
    ]);
    expect(top(small, '如何创建存储库')[0]).toBe('cn-create_repo');
    expect(top(small, '古いファイルを削除したい')[0]).toBe('cn-delete_file');
  });
});

describe('ToolSearchIndex contract', () => {
  it('filters by visibility before ranking and before the limit', () => {
    const index = new ToolSearchIndex();
    index.replaceServer(
      'fl-a',
      toolsOf('fleet', { team: 'a', serverId: 'fl-a', servedAs: 'fleet-a' }),
    );
    index.replaceServer(
      'fl-b',
      toolsOf('fleet', { team: 'b', serverId: 'fl-b', servedAs: 'fleet-b' }),
    );
    const alone = new ToolSearchIndex();
    alone.replaceServer(
      'fl-a',
      toolsOf('fleet', { team: 'a', serverId: 'fl-a', servedAs: 'fleet-a' }),
    );
    const query = 'vehicle';
    const answer = index.search({ query, limit: 3, visible: (t) => t.team === 'a' });
    expect(answer.hits).toHaveLength(3);
    expect(answer.hits.every((h) => h.tool.team === 'a')).toBe(true);
    expect(answer.totalFound).toBe(alone.search({ query, limit: 3 }).totalFound);
  });

  it('filters by server slug', () => {
    const index = fullIndex();
    const { hits } = index.search({ query: 'list', limit: 50, server: 'payroll' });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.tool.serverSlug === 'payroll')).toBe(true);
  });

  it("lists tools alphabetically for '*', paged by limit, counting all", () => {
    const index = fullIndex();
    const answer = index.search({ query: ' * ', limit: 3, server: 'fleet' });
    const names = UNSEEN_CATALOG['fleet'].map((t) => `fleet-${t.name}`).sort();
    expect(answer.hits.map((h) => h.tool.path)).toEqual(names.slice(0, 3));
    expect(answer.totalFound).toBe(names.length);
  });

  it('replaces and removes one server at a time', () => {
    const index = new ToolSearchIndex();
    const payroll = UNSEEN_CATALOG['payroll'].length;
    const pantry = UNSEEN_CATALOG['pantry'].length;
    index.replaceServer('pay', toolsOf('payroll', { serverId: 'pay' }));
    index.replaceServer('pan', toolsOf('pantry', { serverId: 'pan' }));
    expect(index.size()).toBe(payroll + pantry);
    expect(top(index, 'payslip')[0]).toBe('payroll-get_payslip');

    const renamed = toolsOf('payroll', { serverId: 'pay' }).map((t) => ({
      ...t,
      path: `${t.path}_v2`,
      name: `${t.name}_v2`,
    }));
    index.replaceServer('pay', renamed);
    expect(top(index, 'payslip')[0]).toBe('payroll-get_payslip_v2');
    expect(top(index, 'payslip')).not.toContain('payroll-get_payslip');

    index.removeServer('pay');
    expect(top(index, 'payslip').some((p) => p.startsWith('payroll-'))).toBe(false);
    expect(index.size()).toBe(pantry);
    index.removeServer('unknown');
  });

  it('keeps the first holder of a path', () => {
    const index = new ToolSearchIndex();
    index.replaceServer('one', toolsOf('payroll', { serverId: 'one' }));
    index.replaceServer('two', toolsOf('payroll', { serverId: 'two' }));
    expect(index.size()).toBe(UNSEEN_CATALOG['payroll'].length);
    expect(index.search({ query: 'payslip', limit: 5 }).hits[0].tool.serverId).toBe('one');
  });
});

describe('ToolSearchIndex factor exponents and the measured, switched-off factors', () => {
  const hits = (index: ToolSearchIndex, query: string) =>
    index.search({ query, limit: 10, explain: true }).hits;

  it('scores each tool as the product of its factors, each to the power of its weight', () => {
    const weights = { coverage: 2, phrase: 0.5, owner: 0 };
    const weighted = fullIndex();
    const reweighted = new ToolSearchIndex({ factorWeights: weights });
    for (const slug of SERVERS) reweighted.replaceServer(slug, toolsOf(slug));
    const query = 'create a calendar event for tomorrow';
    for (const hit of hits(reweighted, query)) {
      const f = hit.factors!;
      const product =
        f.lexical *
        f.coverage ** 2 *
        f.serverCoverage *
        f.intent *
        f.scope *
        f.server *
        f.mention *
        f.phrase ** 0.5;
      expect(hit.score).toBeCloseTo(product, 6);
    }
    // At the defaults, the factors that were measured and not kept do not count.
    for (const hit of hits(weighted, query)) {
      const f = hit.factors!;
      const product =
        f.lexical *
        f.coverage *
        f.serverCoverage *
        f.intent *
        f.scope *
        f.server *
        f.mention *
        f.owner *
        f.phrase;
      expect(hit.score).toBeCloseTo(product, 6);
      expect(f.feedback).toBeGreaterThanOrEqual(1);
      expect(f.nameCoverage).toBeGreaterThanOrEqual(1);
    }
  });

  it('clause: lifts the tool that covers one clause of a query of two', () => {
    const small = new ToolSearchIndex({ factorWeights: { clause: 1 } });
    small.replaceServer('db', [
      smallTool('db', 'list_tables', 'Lists the tables of a database.'),
      smallTool('db', 'warehouse_usage', 'Shows how much a warehouse stores and lists costs.'),
    ]);
    const [one, two] = [
      hits(small, 'list the tables, the data lives in our warehouse'),
      hits(small, 'list the tables in our warehouse'),
    ];
    const clauseOf = (h: typeof one, path: string) =>
      h.find((x) => x.tool.path === path)?.factors?.['clause'];
    expect(clauseOf(one, 'db-list_tables')).toBe(2);
    expect(clauseOf(one, 'db-warehouse_usage')).toBeLessThan(2);
    expect(clauseOf(two, 'db-list_tables')).toBe(1);
  });

  it("feedback: re-ranks by the distinctive terms of the first pass's best tools", () => {
    const small = new ToolSearchIndex({ factorWeights: { feedback: 1 } });
    small.replaceServer('mail', [
      smallTool('mail', 'send_email', 'Sends an email message with attachments to recipients.'),
      smallTool('mail', 'draft_email', 'Saves an email draft with attachments for recipients.'),
      smallTool('mail', 'delete_label', 'Deletes a label.'),
    ]);
    const found = hits(small, 'send email');
    expect(found[0].tool.path).toBe('mail-send_email');
    const feedback = (path: string) =>
      found.find((h) => h.tool.path === path)?.factors?.['feedback'] ?? 1;
    // The draft shares the first hit's other terms (attachments, recipients); the label none.
    expect(feedback('mail-draft_email')).toBeGreaterThan(1);
    expect(feedback('mail-delete_label')).toBe(1);
  });

  it('nameCoverage: the share of the query that the name holds', () => {
    const small = new ToolSearchIndex();
    small.replaceServer('disk', [
      smallTool('disk', 'move_file', 'Moves a file.'),
      smallTool('disk', 'copy', 'Copies a file to a new place.'),
    ]);
    const found = hits(small, 'move file');
    const named = (path: string) =>
      found.find((h) => h.tool.path === path)?.factors?.['nameCoverage'];
    expect(named('disk-move_file')).toBeCloseTo(2, 6);
    expect(named('disk-copy')).toBe(1);
  });

  it('contextPower: a word many servers use counts less than one a single server uses', () => {
    const build = (contextPower: number) => {
      const index = new ToolSearchIndex({ contextPower });
      for (const server of ['a', 'b', 'c']) {
        index.replaceServer(server, [
          smallTool(server, 'get_data', `Gets data of ${server}.`),
          smallTool(server, 'other', `Something else of ${server}.`),
        ]);
      }
      index.replaceServer('d', [smallTool('d', 'warehouse', 'Warehouse records.')]);
      return index;
    };
    // "data" is used by three of four servers, "warehouse" by one.
    const ratio = (contextPower: number) => {
      const found = build(contextPower).search({ query: 'data warehouse', limit: 10 }).hits;
      const score = (path: string) => found.find((h) => h.tool.path === path)!.score;
      return score('d-warehouse') / score('a-get_data');
    };
    expect(ratio(1)).toBeGreaterThan(ratio(0));
    expect(ratio(2)).toBeGreaterThan(ratio(1));
  });
});
