import { describe, expect, it } from '@jest/globals';
import { polarity, queryAction, toolAction } from './action-intent.js';

describe('toolAction', () => {
  it.each([
    ['create_issue', '', 'create'],
    ['get_file_contents', '', 'read'],
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

  it('groups create, update and delete as writes', () => {
    expect(polarity('create')).toBe('write');
    expect(polarity('delete')).toBe('write');
    expect(polarity('read')).toBe('read');
  });
});
