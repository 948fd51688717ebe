import { describe, expect, it } from '@jest/globals';
import { ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { SecretRedactor } from '../config/secret-redactor.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { Clock } from '../events/clock.js';
import { EventBusService } from '../events/event-bus.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { StatusContributors } from '../status/status-contributors.service.js';
import { DiscoverService } from './discover.service.js';
import type { DiscoverAnswer } from './search/discover-answer.js';
import { ToolSearchService } from './tool-search.service.js';

const server = (slug: string, team: string): ServerDefinition => ({
  id: slug,
  slug,
  team,
  enabled: true,
  secrets: [],
  transport: 'http',
  url: 'http://127.0.0.1/mcp',
  headers: {},
});
const tool = (name: string, description: string): Tool => ({
  name,
  description,
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
});

function setup(): DiscoverService {
  const config = SatelliteConfig.of({ version: 'test', search: {} } as SatelliteConfig);
  const catalog = new ToolCatalogService(new EventBusService());
  const search = new ToolSearchService(
    catalog,
    config,
    new SecretRedactor(),
    new StatusContributors(),
    new Clock(),
  );
  search.onModuleInit();
  catalog.setServerTools(server('slack', 'team-a'), [
    tool('slack_post_message', `Post a new message to a Slack channel. ${'Details. '.repeat(80)}`),
    tool('slack_list_channels', 'List public channels in the workspace'),
  ]);
  catalog.setServerTools(server('chat', 'team-b'), [
    tool('send_message', 'Send a chat message to a room'),
  ]);
  return new DiscoverService(search, new MetricsService(config));
}

const answerOf = (result: { structuredContent?: unknown }) =>
  result.structuredContent as DiscoverAnswer;

describe('DiscoverService', () => {
  it('answers small ranked hits, as structured content and the same JSON as text', async () => {
    // A tool's exact name ranks it first (a property of the ranking, not a tuned result).
    const result = await setup().discover({ query: 'slack_post_message', limit: 2 }, {});
    const answer = answerOf(result);
    expect(answer.query).toBe('slack_post_message');
    expect(answer.tools[0]).toMatchObject({
      tool_path: 'slack-slack_post_message',
      server: 'slack',
      transport: 'http',
      input_schema: tool('x', '').inputSchema,
    });
    expect(answer.tools[0].description.length).toBeLessThanOrEqual(401);
    expect(answer.tools.length).toBeLessThanOrEqual(2);
    const scores = answer.tools.map((t) => t.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(result.content).toEqual([{ type: 'text', text: JSON.stringify(answer) }]);
  });

  it('filters by team before the limit, and counts only what the caller may use', async () => {
    const answer = answerOf(
      await setup().discover({ query: 'send a message', limit: 1 }, { teams: ['team-b'] }),
    );
    expect(answer.tools.map((t) => t.tool_path)).toEqual(['chat-send_message']);
    expect(answer.total_found).toBe(1);
  });

  it("lists a server's tools with '*' and a server filter", async () => {
    const answer = answerOf(await setup().discover({ query: '*', server: 'slack' }, {}));
    expect(answer.tools.map((t) => t.tool_path)).toEqual([
      'slack-slack_list_channels',
      'slack-slack_post_message',
    ]);
    expect(answer.total_found).toBe(2);
  });

  it('rejects bad arguments as invalid params', async () => {
    const discover = setup();
    for (const args of [
      {},
      { query: ' ' },
      { query: 'x', limit: 0 },
      { query: 'x', limit: 51 },
      { query: 'x', limit: 2.5 },
      { query: 'x', server: 3 },
    ]) {
      const err = await discover.discover(args, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).code).toBe(ErrorCode.InvalidParams);
    }
  });
});
