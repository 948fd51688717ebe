// What the benchmarks that run the satellite as a process share: a process's CPU time and RSS
// from /proc, a free loopback port, and idle MCP sessions opened the cheapest way a client can.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process used so far, in ms: what it costs, whatever the neighbours do. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** A process's resident set, in MB. */
export function rssMb(pid) {
  return (
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0) / 1024
  );
}

/** A loopback port nothing listens on right now. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/**
 * Opens `n` sessions the cheapest way a client can (initialize + initialized, no GET stream), 50 at
 * a time; answers how many opened.
 */
export async function openIdleSessions(url, n) {
  const post = (body, session) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(session
          ? { 'mcp-session-id': session, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION }
          : {}),
      },
      body: JSON.stringify(body),
    });
  let opened = 0;
  const one = async () => {
    const res = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'idle', version: '1' },
      },
    });
    const session = res.headers.get('mcp-session-id');
    await res.text();
    if (!res.ok || !session) throw new Error(`initialize on ${url}: ${res.status}`);
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();
    opened++;
  };
  for (let i = 0; i < n; i += 50)
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, one));
  return opened;
}
