import { LRUCache } from 'lru-cache';

/**
 * An LRU cache bounded by its number of entries that allocates as it fills. lru-cache's `max`
 * reserves room for every entry up front, per cache (megabytes of idle heap for the satellite's
 * large bounds: docs/benchmarks.md "Memory"); `maxSize` with a size of 1 per entry keeps the same
 * bound without that.
 */
export function growingLru<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  maxEntries: number,
  options: Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation'> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: maxEntries, sizeCalculation: () => 1 });
}
