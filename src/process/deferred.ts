/** A promise settled from outside, for callers waiting on a restart that has not begun yet. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Nobody may be waiting: a rejection without waiters is not an unhandled rejection.
    this.promise.catch(() => undefined);
  }
}
