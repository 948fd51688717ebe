import { McpError } from '@modelcontextprotocol/sdk/types.js';

/** The "MCP error <code>: " prefixes the SDK puts before a message each time it makes an McpError. */
const PREFIXES = /^(?:MCP error -?\d+: )+/;

/** The text of an MCP error as its first sender wrote it, without the SDK's prefixes. */
export function bareMessage(err: McpError): string {
  return err.message.replace(PREFIXES, '');
}

/**
 * An error passed on to the other side of the satellite (a client's answer to an upstream's
 * request, an upstream's answer to a client's): same code and data, and a message without the
 * prefixes every hop added (the SDK writes `message` on the wire as it is, and the receiving SDK
 * adds its own prefix again). Still an McpError, so callers' `instanceof` checks hold.
 */
export function relayedError(err: McpError): McpError {
  const relayed = new McpError(err.code, '', err.data);
  relayed.message = bareMessage(err);
  return relayed;
}
