import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

/**
 * The SDK client (1.x) handles a response at once but a notification one microtask later. When a
 * transport hands over several messages in one go (stdio: every line of a chunk, synchronously),
 * a call's response overtakes the progress notifications that came before it, and those are lost:
 * the response already removed the call's progress handler (typescript-sdk #2580). The satellite
 * reads upstreams under load, so chunks do merge: three progress notifications 50 ms apart, then
 * the result, and a 50 ms stall of the event loop loses the last one; a server that sends them
 * back to back loses all of them. This client delays each response by one microtask, behind the
 * notifications delivered before it, so everything is handled in the order it arrived.
 */
export class OrderedClient extends Client {
  override connect(transport: Transport, options?: RequestOptions): Promise<void> {
    return super.connect(responsesInOrder(transport), options);
  }
}

type Deliver = (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

function responsesInOrder(transport: Transport): Transport {
  let wrapped: Deliver | undefined;
  // The SDK sets `onmessage` in connect(); whatever it sets is wrapped.
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    enumerable: true,
    get: () => wrapped,
    set: (deliver: Deliver | undefined) => {
      wrapped = deliver && orderedDeliver(deliver);
    },
  });
  return transport;
}

function orderedDeliver(deliver: Deliver): Deliver {
  return (message, extra) => {
    if ('id' in message && !('method' in message)) queueMicrotask(() => deliver(message, extra));
    else deliver(message, extra);
  };
}
