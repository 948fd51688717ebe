import { describe, expect, it } from '@jest/globals';
import type { IndexedTool } from './indexed-tool.js';
import {
  buildToolDocument,
  nameTerms,
  parameterText,
  sharedNamePrefix,
  splitDescription,
} from './tool-document.js';

function tool(
  serverSlug: string,
  name: string,
  description = '',
  inputSchema: unknown = {},
): IndexedTool {
  return {
    path: `${serverSlug}-${name}`,
    serverId: serverSlug,
    serverSlug,
    team: 't',
    transport: 'stdio',
    name,
    description,
    inputSchema,
  };
}

describe('nameTerms', () => {
  it('drops a leading repeat of the server slug', () => {
    expect(nameTerms('slack_post_message', 'slack')).toEqual(['post', 'messag']);
    expect(nameTerms('maps_geocode', 'google-maps')).toEqual(['geocod']);
    expect(nameTerms('brave_web_search', 'brave-search')).toEqual(['web', 'search']);
  });

  it('keeps a name that is only the slug', () => {
    expect(nameTerms('postgres', 'postgres')).toEqual(['postgr']);
  });
});

describe('sharedNamePrefix', () => {
  it('finds the word most names of a server start with', () => {
    const tools = ['API-get-user', 'API-post-search', 'API-patch-page', 'API-get-self'].map((n) =>
      tool('notion', n),
    );
    expect(sharedNamePrefix(tools)).toEqual(['api']);
    expect(buildToolDocument(tools[1], ['api']).name).toBe('post search');
  });

  it('finds none when names vary or the server is small', () => {
    expect(
      sharedNamePrefix(['create_issue', 'list_issues', 'get_issue'].map((n) => tool('github', n))),
    ).toEqual([]);
    expect(sharedNamePrefix(['browser_click', 'browser_type'].map((n) => tool('pw', n)))).toEqual(
      [],
    );
  });
});

describe('splitDescription', () => {
  it('puts the first sentences in the lead and the rest in the body', () => {
    const { lead, body } = splitDescription(
      `Create a new issue.  ${'Usage notes go here. '.repeat(20)}`,
    );
    expect(lead.startsWith('Create a new issue.')).toBe(true);
    expect(lead.length).toBeLessThanOrEqual(240);
    expect(body.startsWith('Usage notes')).toBe(true);
  });

  it('keeps one long first sentence whole', () => {
    const long = `Searches ${'very '.repeat(80)}far`;
    expect(splitDescription(long)).toEqual({ lead: long, body: '' });
  });
});

describe('parameterText', () => {
  it('lists parameter names and descriptions, nested objects included', () => {
    const schema = {
      type: 'object',
      properties: {
        channel_id: { type: 'string', description: 'The channel' },
        params: { type: 'object', properties: { projectSlug: { type: 'string' } } },
      },
    };
    expect(parameterText(schema)).toBe('channel id The channel params project slug');
  });

  it('lists the allowed values of a parameter: they say what the tool can do', () => {
    const schema = {
      properties: {
        state: { type: 'string', enum: ['open', 'closed'] },
        kinds: { type: 'array', items: { enum: ['merge', 'squash', 7] } },
      },
    };
    expect(parameterText(schema)).toBe('state open closed kinds merge squash');
  });

  it('tolerates schemas that are not objects', () => {
    expect(parameterText(undefined)).toBe('');
    expect(parameterText({ properties: [] })).toBe('');
  });
});
