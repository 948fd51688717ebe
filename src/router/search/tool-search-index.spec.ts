// Ranking of representative requests on real tool catalogs, and the index contract: filters
// before ranking, '*' listing, per-server incremental updates.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { IndexedTool } from './indexed-tool.js';
import { ToolSearchIndex } from './tool-search-index.js';

type Catalog = Record<
  string,
  Array<{ name: string; title?: string; description?: string; inputSchema: unknown }>
>;
const catalog = JSON.parse(
  readFileSync(
    new URL('../../../bench/data/tool-search/dev-catalog.json', import.meta.url),
    'utf8',
  ),
) as Catalog;

function toolsOf(
  slug: string,
  opts: { team?: string; serverId?: string; servedAs?: string } = {},
): IndexedTool[] {
  const served = opts.servedAs ?? slug;
  return catalog[slug].map((t) => ({
    path: `${served}-${t.name}`,
    serverId: opts.serverId ?? served,
    serverSlug: served,
    team: opts.team ?? 'default',
    transport: 'stdio' as const,
    name: t.name,
    ...(t.title ? { title: t.title } : {}),
    description: t.description ?? '',
    inputSchema: t.inputSchema,
  }));
}

function fullIndex(): ToolSearchIndex {
  const index = new ToolSearchIndex();
  for (const slug of Object.keys(catalog)) index.replaceServer(slug, toolsOf(slug));
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

describe('ToolSearchIndex ranking', () => {
  const index = fullIndex();

  it.each([
    ['send a message to a slack channel', 'slack-slack_post_message'],
    ['create a new github issue', 'github-create_issue'],
    ['remove entities from the knowledge graph', 'memory-delete_entities'],
    ['take a screenshot of the page', 'playwright-browser_take_screenshot'],
    ['geocode a street address', 'google-maps-maps_geocode'],
    ['merge a pull request', 'github-merge_pull_request'],
    ['serch github repositries', 'github-search_repositories'],
    ['Sentry: which projects exist', 'sentry-find_projects'],
    ['run sql against the postgres database', 'postgres-query'],
    // A product named in CamelCase picks its server over a same-named tool elsewhere.
    ['close a GitHub issue', 'github-update_issue'],
    // Reading replies is not replying: the name's first verb says what a tool does.
    ['show the replies in a Slack thread', 'slack-slack_get_thread_replies'],
    // Of two tools that match the same words, the one whose name says no more.
    ['trigger a new CircleCI pipeline', 'circleci-run_pipeline'],
    // An abbreviation finds its long form even where that word is everywhere (organizationSlug).
    ['list the orgs I can see in Sentry', 'sentry-find_organizations'],
  ])('"%s" → %s first', (query, expected) => {
    expect(top(index, query)[0]).toBe(expected);
  });

  it('scores best first', () => {
    const scores = index
      .search({ query: 'list github issues', limit: 10 })
      .hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0)).toBe(true);
  });

  it("answers with a named server's tools even when no other word matches them", () => {
    expect(top(index, 'Slack: who is U123?').every((p) => p.startsWith('slack-'))).toBe(true);
  });

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
    const factor = (query: string, path: string) =>
      index.search({ query, limit: 200, explain: true }).hits.find((h) => h.tool.path === path)
        ?.factors?.['scope'];
    expect(factor('show pull request #77', 'github-get_pull_request')).toBeCloseTo(1.3);
    expect(factor('show pull request #77', 'github-list_pull_requests')).toBe(1);
    expect(factor('which pull requests are open', 'github-list_pull_requests')).toBeCloseTo(1.3);
    expect(factor('which pull requests are open', 'github-get_pull_request')).toBe(1);
    // Writing is not reading: no scope.
    expect(factor('update pull request #77', 'github-get_pull_request')).toBe(1);
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

  it('gives ids no typo tolerance: abc123 is not a misspelt abc124', () => {
    const small = new ToolSearchIndex();
    small.replaceServer('s', [smallTool('s', 'get_item', 'Fetches item abc124 or any other.')]);
    expect(small.search({ query: 'abc124', limit: 5 }).totalFound).toBe(1);
    expect(small.search({ query: 'abc123', limit: 5 }).totalFound).toBe(0);
  });

  it('finds nothing for a query without meaningful words', () => {
    expect(index.search({ query: 'the of and', limit: 5 })).toEqual({ hits: [], totalFound: 0 });
  });
});

describe('ToolSearchIndex contract', () => {
  it('filters by visibility before ranking and before the limit', () => {
    const index = new ToolSearchIndex();
    index.replaceServer(
      'gh-a',
      toolsOf('github', { team: 'a', serverId: 'gh-a', servedAs: 'github-a' }),
    );
    index.replaceServer(
      'gh-b',
      toolsOf('github', { team: 'b', serverId: 'gh-b', servedAs: 'github-b' }),
    );
    const alone = new ToolSearchIndex();
    alone.replaceServer(
      'gh-a',
      toolsOf('github', { team: 'a', serverId: 'gh-a', servedAs: 'github-a' }),
    );
    const query = 'open a new issue on the repository';
    const answer = index.search({ query, limit: 3, visible: (t) => t.team === 'a' });
    expect(answer.hits).toHaveLength(3);
    expect(answer.hits.every((h) => h.tool.team === 'a')).toBe(true);
    expect(answer.totalFound).toBe(alone.search({ query, limit: 3 }).totalFound);
  });

  it('filters by server slug', () => {
    const index = fullIndex();
    const { hits } = index.search({ query: 'search', limit: 50, server: 'sentry' });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.tool.serverSlug === 'sentry')).toBe(true);
  });

  it("lists tools alphabetically for '*', paged by limit, counting all", () => {
    const index = fullIndex();
    const answer = index.search({ query: ' * ', limit: 3, server: 'slack' });
    expect(answer.hits.map((h) => h.tool.path)).toEqual([
      'slack-slack_add_reaction',
      'slack-slack_get_channel_history',
      'slack-slack_get_thread_replies',
    ]);
    expect(answer.totalFound).toBe(catalog['slack'].length);
  });

  it('replaces and removes one server at a time', () => {
    const index = new ToolSearchIndex();
    index.replaceServer('pg', toolsOf('postgres', { serverId: 'pg' }));
    index.replaceServer('fs', toolsOf('filesystem', { serverId: 'fs' }));
    expect(index.size()).toBe(1 + catalog['filesystem'].length);
    expect(top(index, 'sql query')[0]).toBe('postgres-query');

    const renamed = toolsOf('postgres', { serverId: 'pg' }).map((t) => ({
      ...t,
      path: 'postgres-run_sql',
      name: 'run_sql',
    }));
    index.replaceServer('pg', renamed);
    expect(top(index, 'sql query')[0]).toBe('postgres-run_sql');
    expect(top(index, 'sql query')).not.toContain('postgres-query');

    index.removeServer('pg');
    expect(top(index, 'sql query').some((p) => p.startsWith('postgres-'))).toBe(false);
    expect(index.size()).toBe(catalog['filesystem'].length);
    index.removeServer('unknown');
  });

  it('keeps the first holder of a path', () => {
    const index = new ToolSearchIndex();
    index.replaceServer('one', toolsOf('postgres', { serverId: 'one' }));
    index.replaceServer('two', toolsOf('postgres', { serverId: 'two' }));
    expect(index.size()).toBe(1);
    expect(index.search({ query: 'sql', limit: 5 }).hits[0].tool.serverId).toBe('one');
  });
});
