import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A round-robin HTTP proxy: each request goes to the next replica, streams passed through. */
export async function roundRobin(targets: string[]): Promise<{
  url: string;
  served: number[];
  close(): Promise<void>;
}> {
  const served = targets.map(() => 0);
  let next = 0;
  const server: Server = createServer((req, res) => {
    const i = next++ % targets.length;
    served[i]++;
    const target = new URL(req.url ?? '/', targets[i]);
    const upstream = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
