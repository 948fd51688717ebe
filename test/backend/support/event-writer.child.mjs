// Appends events through the real durable queue until it is killed: the parent SIGKILLs it in the
// middle of the stream, like a satellite that dies with events queued. Loaded with Node's type
// stripping, so the store is the real source file.
import { EventQueueStore } from '../../../src/events/event-queue.store.ts';

const [path] = process.argv.slice(2);
const store = EventQueueStore.open({ path, capacity: 10_000 });
for (let i = 0; ; i++) {
  const timestamp = new Date().toISOString();
  store.append({
    type: 'mcp.server.status_changed',
    timestamp,
    data: {
      installation_id: 'inst-killed',
      team_id: 'team-a',
      status: 'online',
      status_message: `killed-${i}`,
      timestamp,
    },
  });
  // Reported only after append returned: every number printed is on disk.
  process.stdout.write(`${i}\n`);
  await new Promise((resolve) => setImmediate(resolve));
}
