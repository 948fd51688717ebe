import { Injectable } from '@nestjs/common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';

export interface UpstreamClientHooks {
  /** The upstream announced that its tool list changed. */
  onToolsChanged(): void;
}

/** Builds the SDK client the satellite uses towards one upstream server. */
@Injectable()
export class UpstreamClientFactory {
  constructor(private readonly config: SatelliteConfig) {}

  create(hooks: UpstreamClientHooks): Client {
    const client = new Client(
      { name: 'deploystack-satellite', version: this.config.version },
      { capabilities: {} },
    );
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => hooks.onToolsChanged());
    return client;
  }
}
