/**
 * `work`, or a rejection with the signal's reason as soon as `signal` aborts. Only the waiting
 * stops here: the work itself is stopped by its owner, which got the same signal
 * (docs/style.md §13).
 */
export function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
