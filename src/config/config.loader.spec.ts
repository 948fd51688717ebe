import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, DEMO_CONFIG_PATH, loadSatelliteConfig } from './config.loader.js';

function configFile(doc: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'satcfg-')), 'mcp.json');
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
}

describe('loadSatelliteConfig', () => {
  it('has sane defaults: loopback, port 3001, the demo config', () => {
    const config = loadSatelliteConfig({});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3001, requestTimeoutMs: 30_000 });
    expect(config.discovery.configPath).toBe(DEMO_CONFIG_PATH);
    expect(config.discovery.initialServers.map((s) => s.slug)).toEqual(['memory', 'everything']);
    expect(config.mcp.sessionIdleTimeoutMs).toBe(30 * 60_000);
    expect(config.process.limits).toEqual({
      memoryMb: 100,
      cpuCores: 0.1,
      maxProcesses: 50,
      cpuSeconds: 60,
    });
    expect(config.status.showDebugRoute).toBe(false);
  });

  it('reads typed values from the environment', () => {
    const path = configFile({ mcpServers: {} });
    const config = loadSatelliteConfig({
      PORT: '4000',
      HOST: '0.0.0.0',
      DEPLOYSTACK_ALLOW_UNAUTHENTICATED: 'true',
      DEPLOYSTACK_MCP_CONFIG: path,
      DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
      DEPLOYSTACK_ALLOWED_ORIGINS: 'app.example.com, LOCALHOST',
      DEPLOYSTACK_LIMIT_CPU: '0.5',
    });
    expect(config.http).toEqual({ host: '0.0.0.0', port: 4000, requestTimeoutMs: 30_000 });
    expect(config.status.showDebugRoute).toBe(true);
    expect(config.mcp.allowedOrigins).toEqual(['app.example.com', 'localhost']);
    expect(config.process.limits.cpuCores).toBe(0.5);
  });

  it('stops with one error naming every bad value and every config-file problem', () => {
    const path = configFile({ mcpServers: { a: { type: 'http', url: 'nope' } } });
    let error: unknown;
    try {
      loadSatelliteConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        DEPLOYSTACK_SANDBOX: 'chroot',
        DEPLOYSTACK_MCP_CONFIG: path,
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/PORT="eighty"/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL="loud"/);
    expect(problems.join('\n')).toMatch(/DEPLOYSTACK_SANDBOX="chroot"/);
    expect(problems.join('\n')).toMatch(/mcpServers\.a\.url must be an http\(s\) URL/);
  });

  it('turns the semantic search stage on only with an embeddings URL, and needs a model then', () => {
    expect(loadSatelliteConfig({}).search).toEqual({});
    expect(
      loadSatelliteConfig({
        DEPLOYSTACK_EMBEDDINGS_URL: 'http://127.0.0.1:11434/v1',
        DEPLOYSTACK_EMBEDDINGS_MODEL: 'nomic-embed-text',
        DEPLOYSTACK_EMBEDDINGS_API_KEY: 'sk-secret-value',
      }).search.embeddings,
    ).toEqual({
      url: 'http://127.0.0.1:11434/v1',
      model: 'nomic-embed-text',
      apiKey: 'sk-secret-value',
    });
    let error: unknown;
    try {
      loadSatelliteConfig({
        DEPLOYSTACK_EMBEDDINGS_URL: 'not a url',
        DEPLOYSTACK_EMBEDDINGS_API_KEY: 'sk-secret-value',
      });
    } catch (err) {
      error = err;
    }
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DEPLOYSTACK_EMBEDDINGS_URL="not a url": must be an http\(s\) URL/);
    expect(problems).toMatch(
      /DEPLOYSTACK_EMBEDDINGS_MODEL=.*required when DEPLOYSTACK_EMBEDDINGS_URL/,
    );
    expect(problems).not.toContain('sk-secret-value');
    expect(() =>
      loadSatelliteConfig({ DEPLOYSTACK_EMBEDDINGS_URL: 'https://api.openai.com/v1' }),
    ).toThrow(/DEPLOYSTACK_EMBEDDINGS_MODEL/);
    const semantic = {
      DEPLOYSTACK_EMBEDDINGS_URL: 'http://127.0.0.1:11434/v1',
      DEPLOYSTACK_EMBEDDINGS_MODEL: 'nomic-embed-text',
    };
    expect(
      loadSatelliteConfig({ ...semantic, DEPLOYSTACK_EMBEDDINGS_WEIGHT: '1.5' }).search.embeddings
        ?.weight,
    ).toBe(1.5);
    expect(() => loadSatelliteConfig({ ...semantic, DEPLOYSTACK_EMBEDDINGS_WEIGHT: '-1' })).toThrow(
      /DEPLOYSTACK_EMBEDDINGS_WEIGHT="-1"/,
    );
  });

  it('turns the local embedding model on with DEPLOYSTACK_EMBEDDINGS_LOCAL, never together with an endpoint', () => {
    expect(
      loadSatelliteConfig({
        DEPLOYSTACK_EMBEDDINGS_LOCAL: 'use-lite',
        DEPLOYSTACK_EMBEDDINGS_WEIGHT: '0.3',
      }).search.embeddings,
    ).toEqual({ local: 'use-lite', weight: 0.3 });
    expect(() => loadSatelliteConfig({ DEPLOYSTACK_EMBEDDINGS_LOCAL: 'minilm' })).toThrow(
      /DEPLOYSTACK_EMBEDDINGS_LOCAL="minilm": must be use-lite/,
    );
    expect(() =>
      loadSatelliteConfig({
        DEPLOYSTACK_EMBEDDINGS_LOCAL: 'use-lite',
        DEPLOYSTACK_EMBEDDINGS_URL: 'http://127.0.0.1:11434/v1',
        DEPLOYSTACK_EMBEDDINGS_MODEL: 'nomic-embed-text',
      }),
    ).toThrow(
      /DEPLOYSTACK_EMBEDDINGS_LOCAL="use-lite": cannot be set together with DEPLOYSTACK_EMBEDDINGS_URL/,
    );
  });

  it('reads the task settings, and refuses a default lifetime past the maximum', () => {
    const path = configFile({ mcpServers: {} });
    expect(loadSatelliteConfig({ DEPLOYSTACK_MCP_CONFIG: path }).tasks).toEqual({
      maxPerOwner: 100,
      maxBytesPerOwner: 16 * 1024 * 1024,
      ttlMs: 3_600_000,
      maxTtlMs: 86_400_000,
      pollIntervalMs: 2_000,
      runTimeoutMs: 3_600_000,
    });
    expect(
      loadSatelliteConfig({
        DEPLOYSTACK_MCP_CONFIG: path,
        DEPLOYSTACK_TASK_MAX_PER_OWNER: '5',
        DEPLOYSTACK_TASK_POLL_INTERVAL_MS: '500',
      }).tasks,
    ).toMatchObject({ maxPerOwner: 5, pollIntervalMs: 500 });
    expect(() =>
      loadSatelliteConfig({
        DEPLOYSTACK_MCP_CONFIG: path,
        DEPLOYSTACK_TASK_TTL_MS: '7200000',
        DEPLOYSTACK_TASK_MAX_TTL_MS: '3600000',
      }),
    ).toThrow(/DEPLOYSTACK_TASK_TTL_MS must not exceed DEPLOYSTACK_TASK_MAX_TTL_MS/);
    expect(() =>
      loadSatelliteConfig({ DEPLOYSTACK_MCP_CONFIG: path, DEPLOYSTACK_TASK_MAX_PER_OWNER: '0' }),
    ).toThrow(/DEPLOYSTACK_TASK_MAX_PER_OWNER/);
  });

  it('reports a missing config file by path', () => {
    expect(() => loadSatelliteConfig({ DEPLOYSTACK_MCP_CONFIG: '/nonexistent/mcp.json' })).toThrow(
      /\/nonexistent\/mcp\.json: cannot read the file \(ENOENT\)/,
    );
  });
});
