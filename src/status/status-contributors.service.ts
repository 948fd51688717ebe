import { Injectable } from '@nestjs/common';

/**
 * Modules that nobody may import (mcp) publish read-only figures here, so the status routes can
 * show them without a dependency in the wrong direction.
 */
@Injectable()
export class StatusContributors {
  private readonly sources = new Map<string, () => unknown>();
  private shuttingDown = false;

  register(name: string, read: () => unknown): void {
    this.sources.set(name, read);
  }

  read(): Record<string, unknown> {
    return Object.fromEntries([...this.sources].map(([name, read]) => [name, read()]));
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
