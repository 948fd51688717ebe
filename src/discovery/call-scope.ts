import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The downstream call on whose behalf the satellite sends a request to an upstream. Opaque here:
 * the router defines what it holds (discovery must not import the router).
 */
export interface UpstreamCallOrigin {
  readonly serverId: string;
}

const storage = new AsyncLocalStorage<UpstreamCallOrigin>();

/**
 * Which downstream call an upstream message belongs to, as far as the upstream's transport can
 * tell (docs/routing.md).
 *
 * The router runs `client.request(...)` inside `callScope.run(call, …)`. Everything the SDK client
 * does for that request continues in that scope, including reading the SSE stream a Streamable
 * HTTP upstream answers the POST on (and resuming it with Last-Event-ID). So a server→client
 * request or notification that arrives on that stream is handled in the scope of the call that
 * caused it: `callScope.current()` names it, exactly, whatever request ids and progress tokens the
 * clients chose. Transports that carry no such link (stdio, legacy SSE, the standalone GET
 * stream) deliver outside any call scope, and the router falls back to what can be known.
 *
 * Connections must be opened outside every call scope (`outside`), or the streams they read for
 * their whole life (a stdio pipe, the GET stream) would carry the scope of the call that happened
 * to open them.
 */
export const callScope = {
  run<T>(origin: UpstreamCallOrigin, fn: () => T): T {
    return storage.run(origin, fn);
  },
  outside<T>(fn: () => T): T {
    return storage.exit(fn);
  },
  current(): UpstreamCallOrigin | undefined {
    return storage.getStore();
  },
};
