// Invariant: polling follows the backend's next_poll_interval and the command priorities, backs off
// exponentially to 5 minutes while the backend fails, and returns to the backend's pace as soon as
// it answers again. The poll is driven by hand: pollOnce() returns the delay the job would wait.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { BackendConnectionService } from '../../src/backend/backend-connection.service.js';
import { CommandPollerService } from '../../src/backend/command-poller.service.js';
import { FakeBackend } from '../fake-backend/fake-backend.js';
import { type ManagedHarness, startManaged } from './support/managed-harness.js';

const SECOND = 1000;

/** The wait after the n-th failure in a row: jittered between 2.5 s and 5 s · 2^(n-1) (poll-interval.policy.ts). */
function expectBackoff(delay: number, n: number): void {
  expect(delay).toBeGreaterThanOrEqual(2.5 * SECOND);
  expect(delay).toBeLessThanOrEqual(Math.min(300, 5 * 2 ** (n - 1)) * SECOND);
}
let serial = 0;

describe('adaptive command polling', () => {
  let backend: FakeBackend;
  let h: ManagedHarness;
  let poller: CommandPollerService;

  beforeAll(async () => {
    backend = await FakeBackend.start();
  });
  afterEach(async () => {
    backend.clearFailures();
    backend.setPolling(undefined);
    await h?.close();
  });
  afterAll(async () => {
    await backend.stop();
  });

  async function connected(): Promise<void> {
    const token = `deploystack_satellite_global_polling_${serial++}`;
    backend.addRegistrationToken(token);
    h = await startManaged(backend, { registrationToken: token });
    poller = h.get(CommandPollerService);
    expect(await h.get(BackendConnectionService).connect()).toBe(true);
  }

  it('honours next_poll_interval, and shortens it for the priorities it just received', async () => {
    await connected();
    backend.setPolling({ polling_mode: 'normal', next_poll_interval: 17 });
    expect(await poller.pollOnce()).toBe(17 * SECOND);
    backend.setPolling(undefined);
    expect(await poller.pollOnce()).toBe(60 * SECOND); // idle: slow

    backend.queueCommand({ command_type: 'health_check', priority: 'high' });
    expect(await poller.pollOnce()).toBe(10 * SECOND);
    backend.queueCommand({ command_type: 'health_check', priority: 'immediate' });
    expect(await poller.pollOnce()).toBe(2 * SECOND);
    // The backend asked for 60 s, but an immediate command just came: more may follow.
    backend.setPolling({ polling_mode: 'slow', next_poll_interval: 60 });
    backend.queueCommand({ command_type: 'health_check', priority: 'immediate' });
    expect(await poller.pollOnce()).toBe(2 * SECOND);

    const queries = backend.polls.map((p) => p.query);
    expect(queries[0]).toEqual({ limit: '10' });
    expect(queries[1]).toEqual({
      limit: '10',
      last_poll: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(backend.rejections).toEqual([]);
  });

  it('backs off (jittered, growing ceilings up to 5 minutes) during a 20-minute outage and recovers at once', async () => {
    await connected();
    backend.fail('commands', { kind: 'status', status: 503 });
    const delays: number[] = [];
    let outage = 0;
    while (outage < 20 * 60 * SECOND) {
      const delay = await poller.pollOnce();
      delays.push(delay);
      outage += delay;
      h.clock.advance(delay);
      // After 5 minutes the backend stops answering at all (network failure).
      if (outage > 5 * 60 * SECOND) backend.fail('commands', { kind: 'drop' });
    }
    // The i-th wait lies in [2.5 s, min(5 min, 5 s · 2^i)] (poll-interval.policy.ts).
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(2.5 * SECOND);
      expect(delay).toBeLessThanOrEqual(Math.min(300, 5 * 2 ** i) * SECOND);
    });
    expect(poller.status().consecutiveFailures).toBe(delays.length);
    // One warning for the outage (and one when its kind changed), not one per attempt.
    expect(h.logs.find(/command poll failed/, ['warn']).length).toBeLessThanOrEqual(2);

    backend.clearFailures();
    backend.setPolling({ polling_mode: 'normal', next_poll_interval: 30 });
    expect(await poller.pollOnce()).toBe(30 * SECOND);
    expect(poller.status().consecutiveFailures).toBe(0);
    expect(h.logs.find(/command polling recovered after \d+ failed attempt/, ['log'])).toHaveLength(
      1,
    );
  });

  it('waits at least as long as a 429 Retry-After says', async () => {
    await connected();
    backend.fail('commands', { kind: 'status', status: 429, retryAfterSeconds: 120 }, 1);
    expect(await poller.pollOnce()).toBe(120 * SECOND);
    expect(await poller.pollOnce()).toBe(60 * SECOND);
  });

  it('keeps trying to connect while the backend is down at start, then registers and polls', async () => {
    const token = `deploystack_satellite_global_polling_${serial++}`;
    backend.addRegistrationToken(token);
    backend.fail('*', { kind: 'drop' });
    h = await startManaged(backend, { registrationToken: token });
    poller = h.get(CommandPollerService);
    const connection = h.get(BackendConnectionService);
    expectBackoff(await poller.pollOnce(), 1);
    expectBackoff(await poller.pollOnce(), 2);
    expect(connection.status()).toMatchObject({
      state: 'unreachable',
      lastError: expect.stringMatching(/cannot reach the backend/),
    });

    backend.clearFailures();
    expect(await poller.pollOnce()).toBe(60 * SECOND);
    expect(connection.isConnected()).toBe(true);
    expect(backend.registrations.at(-1)?.token).toBe(token);
    expect(backend.polls.at(-1)?.satelliteId).toBe(connection.status().satelliteId);
  });

  it('a poll answered 401 makes the satellite register again before the next poll', async () => {
    await connected();
    const sat = backend
      .satellites()
      .find((s) => s.id === h.get(BackendConnectionService).status().satelliteId)!;
    const spare = `deploystack_satellite_global_polling_${serial++}`;
    backend.addRegistrationToken(spare);
    backend.revokeApiKey(sat.id);
    expectBackoff(await poller.pollOnce(), 1);
    expect(h.get(BackendConnectionService).isConnected()).toBe(false);
    // The configured token was used at start: the next attempt reports that, clearly.
    expectBackoff(await poller.pollOnce(), 2);
    expect(h.get(BackendConnectionService).status().lastError).toMatch(/already used/);
  });
});
