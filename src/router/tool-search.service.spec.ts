import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SatelliteConfig } from '../config/satellite-config.js';
import { SecretRedactor } from '../config/secret-redactor.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { Clock } from '../events/clock.js';
import { EventBusService } from '../events/event-bus.service.js';
import { StatusContributors } from '../status/status-contributors.service.js';
import { ToolSearchService } from './tool-search.service.js';

const API_KEY = 'sk-unit-secret-key';
const slack: ServerDefinition = {
  id: 'slack',
  slug: 'slack',
  team: 'default',
  enabled: true,
  secrets: [],
  transport: 'http',
  url: 'http://127.0.0.1/mcp',
  headers: {},
};

/** An embeddings endpoint that is down: every request gets a 503. */
let endpoint: Server;
let requests = 0;
let url: string;

beforeAll(async () => {
  endpoint = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  endpoint.closeAllConnections();
  await new Promise((r) => endpoint.close(r));
});

afterEach(() => {
  jest.restoreAllMocks();
});

function setup(embeddings?: SatelliteConfig['search']['embeddings']) {
  const config = SatelliteConfig.of({
    search: embeddings ? { embeddings } : {},
  } as SatelliteConfig);
  const catalog = new ToolCatalogService(new EventBusService());
  const redactor = new SecretRedactor();
  const status = new StatusContributors();
  const service = new ToolSearchService(catalog, config, redactor, status, new Clock());
  service.onModuleInit();
  catalog.setServerTools(slack, [
    {
      name: 'slack_post_message',
      description: 'Post a new message to a Slack channel',
      inputSchema: { type: 'object' },
    },
  ]);
  return { service, redactor, status };
}

describe('ToolSearchService', () => {
  it('is lexical by default and says so on the status route', async () => {
    const { service, status } = setup();
    const { hits } = await service.search({ query: 'slack_post_message', limit: 3, caller: {} });
    expect(hits.map((h) => h.tool.path)).toEqual(['slack-slack_post_message']);
    expect(status.read()).toEqual({ search: { tools_indexed: 1, semantic: 'off' } });
  });

  it('answers lexically while the embeddings endpoint is down, with one warning, never the key', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { service, redactor, status } = setup({ url, model: 'm', apiKey: API_KEY });
    const search = () => service.search({ query: 'slack_post_message', limit: 3, caller: {} });
    expect((await search()).hits.map((h) => h.tool.path)).toEqual(['slack-slack_post_message']);
    const asked = requests;
    for (let i = 0; i < 3; i++) {
      expect((await search()).hits.map((h) => h.tool.path)).toEqual(['slack-slack_post_message']);
    }
    // After a failure the endpoint is left alone for a while: no request per query.
    expect(requests).toBe(asked);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(API_KEY);
    expect(status.read()).toMatchObject({ search: { semantic: 'failing' } });
    // The key is masked wherever it might end up in a log line.
    expect(redactor.redact(`Bearer ${API_KEY}`)).toBe('Bearer [REDACTED]');
  });
});
