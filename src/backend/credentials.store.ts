import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { SatelliteCredentials } from './satellite-credentials.js';

/** Same file name as the original satellite, so an existing data directory keeps its identity. */
export const CREDENTIALS_FILE = 'backend.key.json';

/**
 * The satellite's credentials on disk: `<dataDir>/backend.key.json`, mode 0600 in a 0700
 * directory, written atomically (temp file + rename) so a crash never leaves half a key.
 */
@Injectable()
export class CredentialsStore {
  private readonly logger = new Logger(CredentialsStore.name);
  readonly path: string;

  constructor(private readonly config: SatelliteConfig) {
    this.path = join(config.dataDir, CREDENTIALS_FILE);
  }

  /** The persisted credentials, or undefined when there are none (or the file is unusable). */
  async load(): Promise<SatelliteCredentials | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn(
          `cannot read ${this.path} (${(err as NodeJS.ErrnoException).code}); registering again`,
        );
      }
      return undefined;
    }
    const creds = toCredentials(text);
    if (!creds) {
      this.logger.warn(`${this.path} does not hold usable credentials; registering again`);
      return undefined;
    }
    // Tighten a file that was copied in with looser permissions.
    await chmod(this.path, 0o600).catch(() => undefined);
    return creds;
  }

  async save(creds: SatelliteCredentials): Promise<void> {
    await mkdir(this.config.dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const doc: SatelliteCredentials = {
      api_key: creds.api_key,
      satellite_id: creds.satellite_id,
      satellite_name: creds.satellite_name,
      registered_at: creds.registered_at,
    };
    await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
    await chmod(this.path, 0o600);
  }
}

function toCredentials(text: string): SatelliteCredentials | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { api_key, satellite_id, satellite_name, registered_at } = doc as Record<string, unknown>;
  if (
    typeof api_key !== 'string' ||
    api_key === '' ||
    typeof satellite_id !== 'string' ||
    satellite_id === ''
  ) {
    return undefined;
  }
  return {
    api_key,
    satellite_id,
    satellite_name: typeof satellite_name === 'string' ? satellite_name : '',
    registered_at: typeof registered_at === 'string' ? registered_at : '',
  };
}
