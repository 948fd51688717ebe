import { createHash, timingSafeEqual } from 'node:crypto';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type FSWatcher, watch } from 'chokidar';
import { readTokensFile, type StaticToken, TokensFileError } from '../config/auth-tokens-file.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { InvalidTokenError, MissingTokenError } from './auth.errors.js';
import { bearerToken } from './bearer-auth.service.js';
import { ClientAuthenticator } from './client-authenticator.js';
import type { Principal } from './principal.js';

interface Entry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();

function entryOf(token: StaticToken): Entry {
  return {
    digest: Buffer.from(token.sha256, 'hex'),
    principal: {
      userId: token.principal,
      teamId: token.teams[0] ?? '',
      teams: token.teams,
      teamPermissions: [],
      scopes: token.scopes,
    },
  };
}

/**
 * `DEPLOYSTACK_AUTH=tokens`: bearer tokens whose SHA-256 is listed in
 * `DEPLOYSTACK_AUTH_TOKENS_FILE`. The presented token's hash is compared with every listed hash
 * in constant time (no early exit). The file is watched like the server file: an edit applies at
 * once (a removed token is refused on its next request), a broken edit keeps the last good list.
 */
@Injectable()
export class StaticTokenAuthenticator
  extends ClientAuthenticator
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly logger = new Logger(StaticTokenAuthenticator.name);
  private readonly file: string;
  private entries: readonly Entry[];
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();

  constructor(config: SatelliteConfig) {
    super();
    const auth = config.auth.client;
    if (auth.kind !== 'tokens')
      throw new Error('StaticTokenAuthenticator needs DEPLOYSTACK_AUTH=tokens');
    this.file = auth.tokensFile;
    this.entries = auth.initialTokens.map(entryOf);
  }

  onApplicationBootstrap(): void {
    this.report('loaded');
    this.watcher = watch(this.file, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 },
    });
    this.watcher.on('all', (event) => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload(), event === 'unlink' ? 500 : 50);
    });
    this.watcher.on('error', (err) =>
      this.logger.warn(`watching ${this.file} failed: ${(err as Error).message}`),
    );
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.debounce);
    await this.watcher?.close();
  }

  authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (!token) return Promise.reject(new MissingTokenError());
    const digest = sha256(token);
    let match: Entry | undefined;
    for (const entry of this.entries) {
      // Every entry is compared, whatever matched before: the time taken says nothing.
      if (timingSafeEqual(entry.digest, digest) && !match) match = entry;
    }
    if (!match) return Promise.reject(new InvalidTokenError('the token is not known'));
    return Promise.resolve(match.principal);
  }

  /** Re-reads the tokens file now (the watcher's debounce calls it). */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      try {
        this.entries = (await readTokensFile(this.file)).map(entryOf);
        this.report('reloaded');
      } catch (err) {
        const problems =
          err instanceof TokensFileError ? [...err.problems] : [(err as Error).message];
        this.logger.error(
          `tokens file ${this.file} not applied, keeping the last good list:\n  - ${problems.join('\n  - ')}`,
        );
      }
    });
    return this.reloading;
  }

  private report(what: string): void {
    if (this.entries.length === 0)
      this.logger.warn(
        `tokens file ${this.file} ${what}: it lists no token, so every MCP request is refused (401) until one is added`,
      );
    else this.logger.log(`tokens file ${this.file} ${what}: ${this.entries.length} token(s)`);
  }
}
