import { describe, expect, it } from '@jest/globals';
import {
  actionFactor,
  polarity,
  queryAction,
  queryReadScope,
  toolAction,
  toolReadScope,
} from './action-intent.js';
import { annotateEntities } from './query-entities.js';

describe('toolAction', () => {
  it.each([
    ['create_issue', '', 'create'],
    ['get_file_contents', '', 'read'],
    ['slack_get_thread_replies', '', 'read'],
    ['slack_reply_to_thread', '', 'create'],
    ['slack_post_message', '', 'create'],
    ['API-post-search', '', 'read'],
    ['API-post-page', '', 'create'],
    ['API-patch-page', '', 'update'],
    ['delete_entities', '', 'delete'],
    ['browser_click', '', 'run'],
    ['sequentialthinking', 'A detailed tool for thinking', undefined],
    ['whatever', 'Retrieves the weather', 'read'],
    ['whatever', 'This tool retrieves the weather', 'read'],
  ])('%s / %s → %s', (name, description, action) => {
    expect(toolAction(name, description)).toBe(action);
  });
});

describe('queryAction', () => {
  it('reads questions, else takes the first action verb', () => {
    expect(queryAction(['what', 'changed', 'on', 'main'], 'what changed on main')).toBe('read');
    expect(queryAction(['rename', 'the', 'file'], 'rename the file')).toBe('update');
    expect(queryAction(['weather', 'tomorrow'], 'weather tomorrow?')).toBe('read');
    expect(queryAction(['weather', 'tomorrow'], 'weather tomorrow')).toBeUndefined();
  });

  it('reads "how do I …" as the verb that follows, not as a question', () => {
    const action = (text: string) => queryAction(text.split(' '), text);
    expect(action('how do I delete a branch?')).toBe('delete');
    expect(action('how to create a page')).toBe('create');
    expect(action('is there a way to rename a file?')).toBe('update');
    expect(action('how do I see my issues')).toBe('read');
    expect(action('how many issues are open?')).toBe('read');
    expect(action('how did the deploy go')).toBe('read');
  });

  it('groups create, update and delete as writes', () => {
    expect(polarity('create')).toBe('write');
    expect(polarity('delete')).toBe('write');
    expect(polarity('read')).toBe('read');
  });
});

describe('actionFactor', () => {
  const factor = (
    wanted?: 'read' | 'create' | 'update' | 'run',
    does?: 'read' | 'create' | 'run',
  ) => actionFactor({ wanted, does, boost: 0.3, penalty: 0.4 });

  it('lifts the same action, cuts reading for writing, and lets "run" read', () => {
    expect(factor('read', 'read')).toBeCloseTo(1.3);
    expect(factor('update', 'create')).toBeCloseTo(1.15);
    expect(factor('read', 'create')).toBeCloseTo(0.6);
    expect(factor('read', 'run')).toBeCloseTo(0.6);
    expect(factor('run', 'read')).toBe(1);
    expect(factor(undefined, 'read')).toBe(1);
  });
});

describe('read scope', () => {
  it.each([
    ['get_pull_request', 'one'],
    ['API-retrieve-a-database', 'one'],
    ['read_text_file', 'one'],
    ['get_user_details', 'one'],
    ['get_file_contents', 'one'],
    ['get_latest_pipeline_status', 'one'],
    ['get_pull_request_reviews', 'many'],
    ['slack_get_users', 'many'],
    ['list_pull_requests', 'many'],
    ['search_code', 'many'],
    ['API-post-search', 'many'],
    ['API-query-data-source', 'many'],
    ['maps_geocode', undefined],
    ['kubectl_get', undefined],
    ['create_issue', undefined],
  ])('tool %s reads %s', (name, scope) => {
    expect(toolReadScope(name)).toBe(scope);
  });

  const scopeOf = (query: string) => queryReadScope(query.split(' '), annotateEntities(query));
  it.each([
    ['pull up PR #77 and its title', 'one'],
    ['who is U02ABC on slack', 'one'],
    ["what's in the 'Bugs' data source", 'one'],
    ['show me README.md of the docs repo', 'one'],
    ['octocat/hello-world description', 'one'],
    ['which PRs touch #77', 'many'],
    ['find all pages about roadmaps', 'many'],
    ['did anyone approve it', 'many'],
    ['what changed on main', undefined],
    ['show the plan chosen for this search', undefined],
    ['search for pages titled #77', 'many'],
    ['the 3 latest builds', undefined],
  ])('query "%s" reads %s', (query, scope) => {
    expect(scopeOf(query)).toBe(scope);
  });
});
