import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { RouterModule } from '../router/router.module.js';
import { RestQuotaGuard } from './rest-quota.guard.js';
import { RestToolsController } from './rest-tools.controller.js';
import { RestToolsService } from './rest-tools.service.js';
import { ToolArgumentsValidator } from './tool-arguments.validator.js';
import { ToolsOpenApiService } from './tools-openapi.service.js';

/**
 * Direct HTTP tools (docs/rest.md): `/api/tools` to search, read and call the tools of every
 * server without MCP, through the router's search and executor. Authentication and quotas come
 * from the global ClientAuthModule.
 */
@Module({
  imports: [RouterModule, DiscoveryModule],
  controllers: [RestToolsController],
  providers: [RestToolsService, ToolArgumentsValidator, ToolsOpenApiService, RestQuotaGuard],
})
export class RestModule {}
