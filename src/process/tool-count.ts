import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** tools/list (all pages) for the `mcp.server.started` event; 0 when the server has no tools. */
export async function countTools(client: Client, timeoutMs: number): Promise<number> {
  if (!client.getServerCapabilities()?.tools) return 0;
  try {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout: timeoutMs });
      count += page.tools.length;
      cursor = page.nextCursor;
    } while (cursor);
    return count;
  } catch {
    return 0;
  }
}
