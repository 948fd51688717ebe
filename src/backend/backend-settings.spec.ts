import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadSatelliteConfig } from '../config/config.loader.js';

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const path = join(mkdtempSync(join(tmpdir(), 'satcfg-backend-')), 'mcp.json');
  writeFileSync(path, '{"mcpServers":{}}');
  return { DEPLOYSTACK_MCP_CONFIG: path, ...extra };
}

describe('managed-mode settings (config.backend)', () => {
  it('is absent in standalone mode; scheduling is on by default', () => {
    const config = loadSatelliteConfig(env({}));
    expect(config.backend).toBeUndefined();
    expect(config.jobs).toEqual({ schedulerEnabled: true });
  });

  it('turns on with DEPLOYSTACK_BACKEND_URL, with the contract defaults', () => {
    const config = loadSatelliteConfig(
      env({
        DEPLOYSTACK_BACKEND_URL: 'http://backend:3000/',
        DEPLOYSTACK_SATELLITE_NAME: 'edge-eu-west-1',
        PORT: '4100',
      }),
    );
    expect(config.backend).toEqual({
      url: 'http://backend:3000',
      publicUrl: 'http://backend:3000',
      satelliteName: 'edge-eu-west-1',
      satelliteUrl: 'http://localhost:4100',
      events: { batchSize: 100, maxQueued: 10_000 },
    });
  });

  it('reads every managed-mode variable', () => {
    const config = loadSatelliteConfig(
      env({
        DEPLOYSTACK_BACKEND_URL: 'https://api.example.com',
        DEPLOYSTACK_BACKEND_PUBLIC_URL: 'https://cloud.example.com/',
        DEPLOYSTACK_REGISTRATION_TOKEN: 'deploystack_satellite_team_abc',
        DEPLOYSTACK_SATELLITE_NAME: 'team_sat-0001',
        DEPLOYSTACK_SATELLITE_URL: 'https://sat.example.com',
        DEPLOYSTACK_SCHEDULER_ENABLED: 'false',
        DEPLOYSTACK_EVENT_BATCH_SIZE: '50',
        DEPLOYSTACK_EVENT_QUEUE_MAX: '500',
      }),
    );
    expect(config.jobs.schedulerEnabled).toBe(false);
    expect(config.backend).toEqual({
      url: 'https://api.example.com',
      publicUrl: 'https://cloud.example.com',
      registrationToken: 'deploystack_satellite_team_abc',
      satelliteName: 'team_sat-0001',
      satelliteUrl: 'https://sat.example.com',
      events: { batchSize: 50, maxQueued: 500 },
    });
  });

  it('stops the boot naming every bad managed-mode value', () => {
    let problems: readonly string[] = [];
    try {
      loadSatelliteConfig(
        env({ DEPLOYSTACK_BACKEND_URL: 'backend:3000', DEPLOYSTACK_EVENT_BATCH_SIZE: '500' }),
      );
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^DEPLOYSTACK_BACKEND_URL="backend:3000": must be an http\(s\) URL/),
      expect.stringMatching(
        /^DEPLOYSTACK_SATELLITE_NAME=undefined: is required in managed mode: 10-32 characters/,
      ),
      expect.stringMatching(/^DEPLOYSTACK_EVENT_BATCH_SIZE="500": /),
    ]);
  });
});
