import type * as SdkV2 from '@modelcontextprotocol/server';

/**
 * The SDK v2 (`@modelcontextprotocol/server`), which answers only 2026-07-28 requests, loaded on
 * the first request that may be one rather than at boot: a satellite whose clients speak
 * 2025-11-25 never pays its code (docs/benchmarks.md "Memory"). `loadSdkV2()` before the first
 * use; `sdkV2()` afterwards, synchronously.
 */
let loaded: typeof SdkV2 | undefined;
let loading: Promise<typeof SdkV2> | undefined;

export function loadSdkV2(): Promise<typeof SdkV2> {
  loading ??= import('@modelcontextprotocol/server').then((sdk) => (loaded = sdk));
  return loading;
}

export function sdkV2(): typeof SdkV2 {
  if (!loaded) throw new Error('the SDK v2 was used before loadSdkV2() resolved');
  return loaded;
}
