import { growingLru } from '../events/growing-lru.js';

/** Task ids of direct endpoints remembered at once; the oldest are forgotten first. */
const MAX_TASKS = 10_000;

/**
 * Task ids of task-augmented calls passed through a direct endpoint (docs/tasks.md "Direct
 * endpoints"): the client sees `<slug>:<upstream id>`, so tasks of several upstreams never
 * collide, and each id is bound to the owner that created it: an upstream's tasks are shared by
 * every caller of its one connection, so another owner's id is "not found".
 */
export class DirectTaskIds {
  private readonly owners = growingLru<string, string>(MAX_TASKS);

  /** The client's id of an upstream task just created for `owner`. */
  register(owner: string, slug: string, upstreamId: string): string {
    const id = `${slug}:${upstreamId}`;
    this.owners.set(id, owner);
    return id;
  }

  /** The upstream's id of a client's task id, if `owner` created it on `slug`. */
  upstreamId(owner: string, slug: string, id: unknown): string | undefined {
    if (typeof id !== 'string' || !id.startsWith(`${slug}:`)) return undefined;
    return this.owners.get(id) === owner ? id.slice(slug.length + 1) : undefined;
  }

  /** The client's id of an upstream id, if `owner` created it on `slug`. */
  clientId(owner: string, slug: string, upstreamId: string): string | undefined {
    const id = `${slug}:${upstreamId}`;
    return this.owners.get(id) === owner ? id : undefined;
  }
}
