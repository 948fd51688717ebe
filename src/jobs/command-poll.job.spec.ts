import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { CommandPollerService } from '../backend/command-poller.service.js';
import { MAX_BACKOFF_MS } from '../backend/poll-interval.policy.js';
import { CommandPollJob } from './command-poll.job.js';

/** A poller we own: answers each poll with the next scripted delay, or holds it open. */
class ScriptedPoller {
  polls = 0;
  delays: Array<number | Error | 'hold'> = [];
  release: (delay: number) => void = () => undefined;

  pollOnce(): Promise<number> {
    this.polls++;
    const next = this.delays.shift() ?? 60_000;
    if (next === 'hold') return new Promise<number>((resolve) => (this.release = resolve));
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve(next);
  }
}

describe('CommandPollJob', () => {
  let poller: ScriptedPoller;
  let registry: SchedulerRegistry;
  let job: CommandPollJob;

  beforeEach(() => {
    jest.useFakeTimers();
    Logger.overrideLogger(false);
    poller = new ScriptedPoller();
    registry = new SchedulerRegistry();
    job = new CommandPollJob(poller as unknown as CommandPollerService, registry);
  });
  afterEach(() => {
    job.beforeApplicationShutdown();
    jest.useRealTimers();
  });

  it('polls at start, then after each delay the poller returns', async () => {
    poller.delays = [5_000, 2_000];
    job.onApplicationBootstrap();
    expect(registry.getTimeouts()).toEqual([CommandPollJob.NAME]);
    await jest.advanceTimersByTimeAsync(0);
    expect(poller.polls).toBe(1);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(poller.polls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(poller.polls).toBe(2);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(poller.polls).toBe(3);
  });

  it('never overlaps: nothing is scheduled while a poll runs', async () => {
    poller.delays = ['hold'];
    job.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(poller.polls).toBe(1);
    expect(registry.getTimeouts()).toEqual([]);
    poller.release(1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(poller.polls).toBe(2);
  });

  it('keeps polling (after the longest backoff) even if a poll crashes', async () => {
    poller.delays = [new Error('bug')];
    job.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    await jest.advanceTimersByTimeAsync(MAX_BACKOFF_MS - 1);
    expect(poller.polls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(poller.polls).toBe(2);
  });

  it('stops at shutdown, even when a poll finishes afterwards', async () => {
    poller.delays = ['hold'];
    job.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    job.beforeApplicationShutdown();
    poller.release(1_000);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(poller.polls).toBe(1);
    expect(registry.getTimeouts()).toEqual([]);
  });
});
