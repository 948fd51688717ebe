import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  type BackendCommand,
  invalidateTokenCachePayloadSchema,
} from '../backend/backend-wire.schema.js';
import type { CommandHandler } from '../backend/command-handler.js';
import { CommandHandlerRegistry } from '../backend/command-handler.registry.js';
import { readCommandPayload } from '../backend/command-payload.js';
import { TokenIntrospectionService } from './token-introspection.service.js';

/**
 * `invalidate_user_token_cache`: drop one user's cached introspection results (e.g. after the
 * user left a team). It lives here, next to the cache, and registers itself with the backend's
 * dispatcher, so the backend never imports auth (docs/architecture.md "Dependencies":
 * auth → backend).
 */
@Injectable()
export class InvalidateUserTokenCacheHandler implements CommandHandler, OnModuleInit {
  readonly type = 'invalidate_user_token_cache';

  constructor(
    private readonly registry: CommandHandlerRegistry,
    private readonly introspection: TokenIntrospectionService,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  handle(command: BackendCommand): Promise<Record<string, unknown>> {
    const userId = readCommandPayload(command, invalidateTokenCachePayloadSchema).user_id;
    const dropped = this.introspection.invalidateUser(userId);
    return Promise.resolve({ user_id: userId, invalidated_entries: dropped });
  }
}
