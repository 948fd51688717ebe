import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  type ProtectedResourceMetadata,
  ProtectedResourceMetadataService,
} from './protected-resource-metadata.service.js';

/**
 * RFC 9728 metadata at the root well-known URL and at the path-inserted one for `/mcp`
 * (MCP authorization spec: clients try the `resource_metadata` of the challenge, then these).
 */
@ApiTags('auth')
@Controller('.well-known')
export class ProtectedResourceMetadataController {
  constructor(private readonly metadata: ProtectedResourceMetadataService) {}

  @Get(['oauth-protected-resource', 'oauth-protected-resource/mcp'])
  @ApiOperation({ summary: 'OAuth 2.0 protected resource metadata (RFC 9728)' })
  @ApiOkResponse({
    description: 'resource, authorization_servers, scopes_supported, bearer_methods_supported',
  })
  // Browser-based MCP clients (e.g. the MCP Inspector) read this cross-origin.
  @Header('Access-Control-Allow-Origin', '*')
  @Header('Cache-Control', 'public, max-age=300')
  get(): ProtectedResourceMetadata {
    return this.metadata.metadata();
  }
}
