import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { isLoopbackHost } from '../config/client-auth.config.js';
import { SatelliteConfig } from '../config/satellite-config.js';

/**
 * Standalone `DEPLOYSTACK_AUTH=none`: says so at every start, loudly when the satellite listens
 * beyond loopback (only possible with `DEPLOYSTACK_ALLOW_UNAUTHENTICATED=true`; without it the
 * configuration loader refuses to start).
 */
@Injectable()
export class UnauthenticatedBindWarning implements OnApplicationBootstrap {
  private readonly logger = new Logger('ClientAuth');

  constructor(private readonly config: SatelliteConfig) {}

  onApplicationBootstrap(): void {
    const { host } = this.config.http;
    if (isLoopbackHost(host)) {
      this.logger.log(
        `MCP clients are not authenticated (DEPLOYSTACK_AUTH=none); HOST=${host} is loopback, so only this machine can connect`,
      );
      return;
    }
    this.logger.warn(
      `UNAUTHENTICATED: HOST=${host} is not loopback and DEPLOYSTACK_AUTH=none ` +
        '(allowed by DEPLOYSTACK_ALLOW_UNAUTHENTICATED=true): anyone who reaches this port can ' +
        'open a session and run every tool of every server. Only run like this behind something ' +
        'that authenticates every request; otherwise set DEPLOYSTACK_AUTH=tokens or jwt (docs/security.md).',
    );
  }
}
