import { Injectable } from '@nestjs/common';
import { backendSettings } from '../backend/backend-settings.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { AuthError } from './auth.errors.js';
import { type AuthErrorResponse, authErrorResponse } from './auth-error.response.js';
import { MCP_SCOPES } from './principal.js';

/** RFC 9728 protected resource metadata, as served under /.well-known. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  /** Absent with static tokens (`DEPLOYSTACK_AUTH=tokens`): no server issues them. */
  readonly authorization_servers?: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly bearer_methods_supported: readonly string[];
}

/** Builds the satellite's RFC 9728 metadata and the challenges that point clients to it. */
@Injectable()
export class ProtectedResourceMetadataService {
  private readonly doc: ProtectedResourceMetadata;
  private readonly url: string;

  constructor(config: SatelliteConfig) {
    // Managed mode: the backend is the authorization server. Standalone: the JWT issuer, or none.
    const { satelliteUrl, authorizationServer } = config.backend
      ? {
          satelliteUrl: backendSettings(config).satelliteUrl,
          authorizationServer: backendSettings(config).publicUrl,
        }
      : {
          satelliteUrl: config.auth.satelliteUrl,
          authorizationServer:
            config.auth.client.kind === 'jwt' ? config.auth.client.issuer : undefined,
        };
    this.doc = {
      resource: `${satelliteUrl}/mcp`,
      ...(authorizationServer ? { authorization_servers: [authorizationServer] } : {}),
      scopes_supported: [MCP_SCOPES.read, MCP_SCOPES.execute],
      bearer_methods_supported: ['header'],
    };
    // RFC 9728 §3.1: the well-known suffix goes between the host and the resource's path.
    this.url = `${satelliteUrl}/.well-known/oauth-protected-resource/mcp`;
  }

  metadata(): ProtectedResourceMetadata {
    return this.doc;
  }

  /** The `resource_metadata` URL of every challenge. */
  metadataUrl(): string {
    return this.url;
  }

  /** The HTTP answer (status, WWW-Authenticate, body) for an AuthError on /mcp. */
  challengeFor(err: AuthError): AuthErrorResponse {
    return authErrorResponse(err, this.url);
  }
}
