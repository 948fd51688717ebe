import { Inject, Injectable } from '@nestjs/common';
import { BUILTIN_COMMAND_HANDLERS, type CommandHandler } from './command-handler.js';

/**
 * The handlers by command type. Modules above the backend (auth, for the token cache) add
 * theirs with `register` at init, so the backend never imports them.
 */
@Injectable()
export class CommandHandlerRegistry {
  private readonly handlers = new Map<string, CommandHandler>();

  constructor(@Inject(BUILTIN_COMMAND_HANDLERS) builtins: readonly CommandHandler[]) {
    for (const handler of builtins) this.register(handler);
  }

  register(handler: CommandHandler): void {
    if (this.handlers.has(handler.type))
      throw new Error(`a handler for command type "${handler.type}" is already registered`);
    this.handlers.set(handler.type, handler);
  }

  get(type: string): CommandHandler | undefined {
    return this.handlers.get(type);
  }

  types(): string[] {
    return [...this.handlers.keys()].sort();
  }
}
