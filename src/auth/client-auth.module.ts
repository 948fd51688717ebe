import { type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { AuthModule } from './auth.module.js';
import { BearerAuthService } from './bearer-auth.service.js';
import { ClientAccessService } from './client-access.service.js';
import { ClientAuthGuard } from './client-auth.guard.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { ClientQuotaService } from './client-quota.service.js';
import { JwtAuthenticator } from './jwt.authenticator.js';
import { ProtectedResourceMetadataController } from './protected-resource-metadata.controller.js';
import { ProtectedResourceMetadataService } from './protected-resource-metadata.service.js';
import { StaticTokenAuthenticator } from './static-token.authenticator.js';
import { UnauthenticatedBindWarning } from './unauthenticated-bind.warning.js';

/**
 * Client authentication for every route: global, so the MCP and the status controllers can put
 * ClientAuthGuard in front of their routes. Which authenticator, by mode (docs/security.md):
 * managed → the backend's introspection (AuthModule, which needs the global BackendModule);
 * standalone `DEPLOYSTACK_AUTH=tokens` → static tokens; `jwt` → the operator's identity provider;
 * `none` → nobody is authenticated (allowed on loopback, or with a loud warning). Per-principal
 * quotas (ClientQuotaService) live here too, for the MCP edge and the router's call path.
 */
@Global()
@Module({})
export class ClientAuthModule {
  static forRoot(config: SatelliteConfig): DynamicModule {
    const auth = config.auth.client;
    const authenticator: Provider[] = [];
    const imports = [];
    let controllers = [ProtectedResourceMetadataController];
    if (config.backend) {
      // AuthModule serves the metadata routes and provides the metadata service itself.
      imports.push(AuthModule);
      controllers = [];
      authenticator.push({ provide: ClientAuthenticator, useExisting: BearerAuthService });
    } else if (auth.kind === 'tokens') {
      authenticator.push(StaticTokenAuthenticator, ProtectedResourceMetadataService, {
        provide: ClientAuthenticator,
        useExisting: StaticTokenAuthenticator,
      });
    } else if (auth.kind === 'jwt') {
      authenticator.push(JwtAuthenticator, ProtectedResourceMetadataService, {
        provide: ClientAuthenticator,
        useExisting: JwtAuthenticator,
      });
    } else {
      controllers = [];
      authenticator.push(UnauthenticatedBindWarning);
    }
    return {
      module: ClientAuthModule,
      imports,
      controllers,
      providers: [...authenticator, ClientAccessService, ClientAuthGuard, ClientQuotaService],
      exports: [ClientAccessService, ClientAuthGuard, ClientQuotaService],
    };
  }
}
