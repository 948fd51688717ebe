/** Marks a request body that was not valid JSON, so `/mcp` can answer JSON-RPC -32700 itself. */
export class MalformedJsonBody {
  constructor(readonly message: string) {}
}
