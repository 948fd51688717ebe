import { BulkheadRejectedError, type BulkheadPolicy, bulkhead } from 'cockatiel';
import type { ResilienceSettings } from '../config/satellite-config.js';
import { ServerBusyError } from './discovery.errors.js';

/**
 * One server's concurrency limit with a bounded wait queue (cockatiel's bulkhead): past both, a
 * call is refused at once with ServerBusyError instead of piling up (docs/operations.md).
 */
export class ConcurrencyLimit {
  private readonly bulkhead: BulkheadPolicy;

  constructor(
    private readonly slug: string,
    private readonly settings: Pick<ResilienceSettings, 'maxConcurrent' | 'maxQueue'>,
    private readonly onBusy: () => void,
  ) {
    this.bulkhead = bulkhead(settings.maxConcurrent, settings.maxQueue);
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await this.bulkhead.execute(fn, signal);
    } catch (err) {
      if (!(err instanceof BulkheadRejectedError)) throw err;
      this.onBusy();
      throw new ServerBusyError(this.slug, this.settings.maxConcurrent, this.settings.maxQueue);
    }
  }

  view() {
    return {
      running: this.settings.maxConcurrent - this.bulkhead.executionSlots,
      queued: this.settings.maxQueue - this.bulkhead.queueSlots,
      limit: this.settings.maxConcurrent,
      queue_limit: this.settings.maxQueue,
    };
  }
}
