import type { Clock, TimerHandle } from '../events/clock.js';
import { UpstreamUnavailableError } from './discovery.errors.js';

/**
 * A call to a server whose tools were restored but which is not up yet waits for its start, at
 * most `callWaitMs` (`DEPLOYSTACK_CATALOG_CALL_WAIT_MS`), then fails with a clear error.
 */
export function boundedStart(opts: {
  pending: Promise<unknown>;
  ms: number;
  slug: string;
  clock: Clock;
}): Promise<unknown> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = opts.clock.after(opts.ms, () =>
      reject(
        new UpstreamUnavailableError(
          opts.slug,
          `the server is still starting (its tools were restored from the persisted catalog); waited ${opts.ms} ms, try again shortly`,
          'starting',
        ),
      ),
    );
  });
  return Promise.race([opts.pending, timeout]).finally(() => timer?.cancel());
}
