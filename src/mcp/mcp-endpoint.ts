/** Which MCP surface a request addresses. */
export type McpEndpoint =
  { readonly kind: 'meta' } | { readonly kind: 'direct'; readonly slug: string };

export const META_ENDPOINT: McpEndpoint = { kind: 'meta' };

export function endpointKey(endpoint: McpEndpoint): string {
  return endpoint.kind === 'meta' ? 'meta' : `direct:${endpoint.slug}`;
}
