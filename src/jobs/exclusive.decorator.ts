import { Logger } from '@nestjs/common';

type AsyncMethod = (this: object, ...args: unknown[]) => Promise<unknown>;

/**
 * Jobs never overlap (docs/style.md §6): a tick that fires while the previous run of the same job
 * (on the same instance) is still going is skipped. Errors are logged, never left unhandled.
 * Put it under the scheduling decorator, so the scheduler registers the guarded method:
 *
 *   @Interval('backend-heartbeat', 30_000)
 *   @Exclusive()
 *   async everyThirtySeconds() { … }
 */
export function Exclusive(): MethodDecorator {
  return (target, key, descriptor) => {
    const original = descriptor.value as unknown as AsyncMethod;
    const running = new WeakSet<object>();
    const name = `${target.constructor.name}.${String(key)}`;
    const logger = new Logger('Jobs');
    const guarded: AsyncMethod = async function (this: object, ...args: unknown[]) {
      if (running.has(this)) {
        logger.debug(`${name} is still running; this tick is skipped`);
        return;
      }
      running.add(this);
      try {
        await original.apply(this, args);
      } catch (err) {
        logger.error(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        running.delete(this);
      }
    };
    (descriptor as PropertyDescriptor).value = guarded;
    return descriptor;
  };
}
