import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CallOptions } from './upstream-connection.js';

/** What a call tells the upstream beside its request: who calls, and what it calls. */
export interface CallTarget {
  /** The downstream session id: its calls stay on one instance of a pool. */
  readonly affinity?: string;
  /** The JSON-RPC method sent upstream, and for `tools/call` the tool's name. */
  readonly method: string;
  readonly tool?: string;
  readonly signal?: AbortSignal;
}

/** Methods that read only: sent to another instance of a pool when the first one failed. */
const READ_ONLY_METHODS = new Set([
  'ping',
  'tools/list',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'prompts/list',
  'prompts/get',
  'completion/complete',
]);

export function callOptions(tools: readonly Tool[] | undefined, call: CallTarget): CallOptions {
  let retryable = READ_ONLY_METHODS.has(call.method);
  if (call.method === 'tools/call' && call.tool !== undefined) {
    const hints = tools?.find((t) => t.name === call.tool)?.annotations;
    retryable = hints?.readOnlyHint === true || hints?.idempotentHint === true;
  }
  return {
    retryable,
    ...(call.affinity !== undefined ? { affinity: call.affinity } : {}),
    ...(call.signal ? { signal: call.signal } : {}),
  };
}
