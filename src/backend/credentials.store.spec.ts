import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { CREDENTIALS_FILE, CredentialsStore } from './credentials.store.js';

const storeIn = (dataDir: string) =>
  new CredentialsStore(SatelliteConfig.of({ dataDir } as SatelliteConfig));
const creds = {
  api_key: 'k-123456',
  satellite_id: 's-1',
  satellite_name: 'sat-0000000001',
  registered_at: '2026-01-01T00:00:00.000Z',
};

describe('CredentialsStore', () => {
  beforeAll(() => {
    Logger.overrideLogger(['error']);
  });

  it('saves 0600 in a new 0700 data directory and loads it back', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'creds-')), 'nested', 'data');
    const store = storeIn(dataDir);
    await store.save(creds);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual(creds);
  });

  it('treats a missing or unusable file as no credentials', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'creds-'));
    const store = storeIn(dataDir);
    expect(await store.load()).toBeUndefined();
    writeFileSync(join(dataDir, CREDENTIALS_FILE), '{ not json');
    expect(await store.load()).toBeUndefined();
    writeFileSync(
      join(dataDir, CREDENTIALS_FILE),
      JSON.stringify({ api_key: '', satellite_id: 's' }),
    );
    expect(await store.load()).toBeUndefined();
  });

  it("reads the original satellite's file (extra fields) and tightens loose permissions", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'creds-'));
    const file = join(dataDir, CREDENTIALS_FILE);
    writeFileSync(file, JSON.stringify({ ...creds, last_verified: '2026-01-02T00:00:00Z' }));
    chmodSync(file, 0o644);
    expect(await storeIn(dataDir).load()).toEqual(creds);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('last_verified');
  });
});
