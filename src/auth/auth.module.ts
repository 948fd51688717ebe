import { Module } from '@nestjs/common';
import { BearerAuthService } from './bearer-auth.service.js';
import { InvalidateUserTokenCacheHandler } from './invalidate-user-token-cache.handler.js';
import { ProtectedResourceMetadataController } from './protected-resource-metadata.controller.js';
import { ProtectedResourceMetadataService } from './protected-resource-metadata.service.js';
import { TokenIntrospectionService } from './token-introspection.service.js';

/**
 * OAuth 2.1 resource server for /mcp in managed mode: bearer validation by introspection, the
 * RFC 9728 metadata routes, WWW-Authenticate challenges. Uses the (global) BackendModule, so
 * import it only in managed mode, after BackendModule.forRoot().
 */
@Module({
  controllers: [ProtectedResourceMetadataController],
  providers: [
    TokenIntrospectionService,
    BearerAuthService,
    ProtectedResourceMetadataService,
    InvalidateUserTokenCacheHandler,
  ],
  exports: [BearerAuthService, TokenIntrospectionService, ProtectedResourceMetadataService],
})
export class AuthModule {}
