import { describe, expect, it } from '@jest/globals';
import { Deferred } from './deferred.js';
import { type OwnerLease, ServerOwner, SupersededError } from './server-owner.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('ServerOwner', () => {
  it('runs the operations of one server one at a time, in order; other servers do not wait', async () => {
    const owner = new ServerOwner();
    const log: string[] = [];
    const gate = new Deferred<void>();
    const a1 = owner.run('a', 'restart', async () => {
      log.push('a1 start');
      await gate.promise;
      log.push('a1 end');
    });
    const a2 = owner.run('a', 'refresh', () => Promise.resolve(void log.push('a2')));
    const b = owner.run('b', 'restart', () => Promise.resolve(void log.push('b')));
    await b;
    expect(log).toEqual(['a1 start', 'b']);
    expect(owner.current('a')).toBe('restart');
    gate.resolve();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
    await tick();
    expect(owner.busy('a')).toBe(false);
    expect(owner.busy('b')).toBe(false);
  });

  it('an add/remove/start aborts the running operation and those waiting; others just queue', async () => {
    const owner = new ServerOwner();
    const leases: OwnerLease[] = [];
    const started = new Deferred<void>();
    const first = owner.run('s', 'add', async (lease) => {
      leases.push(lease);
      started.resolve();
      // A start that only ends when aborted (a handshake that would take its whole timeout).
      await new Promise<void>((resolve) =>
        lease.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      return 'first';
    });
    await started.promise;
    const restart = owner.run('s', 'restart', (lease) => {
      leases.push(lease);
      return Promise.resolve('restart');
    });
    expect(leases[0]?.signal.aborted).toBe(false); // a restart does not supersede
    const waitingAdd = owner.run('s', 'add', (lease) => {
      leases.push(lease);
      return Promise.resolve(lease.signal.aborted ? 'skipped' : 'ran');
    });
    const removal = owner.run('s', 'remove', (lease) => {
      leases.push(lease);
      return Promise.resolve(lease.signal.aborted ? 'aborted' : 'removed');
    });
    expect(await Promise.all([first, restart, waitingAdd, removal])).toEqual([
      'first',
      'restart',
      'skipped',
      'removed',
    ]);
    const [addLease, restartLease, waitingLease] = leases;
    expect(addLease?.supersededBy).toBe('add'); // by the second add
    expect(addLease?.signal.reason).toBeInstanceOf(SupersededError);
    expect(restartLease?.supersededBy).toBe('add');
    expect(waitingLease?.supersededBy).toBe('remove');
  });

  it('an owned call on the same server from inside its running operation runs inline', async () => {
    const owner = new ServerOwner();
    const order: string[] = [];
    let escaped: (() => Promise<unknown>) | undefined;
    await owner.run('s', 'add', async () => {
      order.push('add');
      // e.g. the upstream manager's add calling the process manager's start
      await owner.run('s', 'start', (lease) =>
        Promise.resolve(order.push(`start inside ${lease.op}`)),
      );
      // a callback created inside the operation but called after it ended
      escaped = () =>
        owner.run('s', 'refresh', (lease) => Promise.resolve(order.push(`late ${lease.op}`)));
      expect(owner.pending('s')).toBeUndefined(); // waiting here would wait for itself
    });
    await escaped?.();
    expect(order).toEqual(['add', 'start inside add', 'late refresh']);
  });

  it('tryRun skips a busy server; pending() settles after what was asked so far', async () => {
    const owner = new ServerOwner();
    const gate = new Deferred<void>();
    const done: string[] = [];
    void owner.run('s', 'start', async () => {
      await gate.promise;
      done.push('start');
    });
    const park = () => Promise.resolve(done.push('park'));
    expect(owner.tryRun('s', 'park', park)).toBeUndefined();
    const pending = owner.pending('s');
    expect(pending).toBeDefined();
    gate.resolve();
    await pending;
    expect(done).toEqual(['start']);
    expect(owner.pending('s')).toBeUndefined();
    await owner.tryRun('s', 'park', park);
    expect(done).toEqual(['start', 'park']);
  });

  it('a failed operation does not block the next one', async () => {
    const owner = new ServerOwner();
    const failed = owner.run('s', 'start', () => Promise.reject(new Error('boom')));
    const next = owner.run('s', 'restart', () => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});
