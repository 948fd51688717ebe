import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { Exclusive } from './exclusive.decorator.js';

class Recorder implements LoggerService {
  readonly lines: string[] = [];
  log(m: unknown) {
    this.lines.push(`log ${String(m)}`);
  }
  error(m: unknown) {
    this.lines.push(`error ${String(m)}`);
  }
  warn(m: unknown) {
    this.lines.push(`warn ${String(m)}`);
  }
  debug(m: unknown) {
    this.lines.push(`debug ${String(m)}`);
  }
}

class SlowJob {
  runs = 0;
  release: () => void = () => undefined;

  @Exclusive()
  async tick(): Promise<void> {
    this.runs++;
    await new Promise<void>((resolve) => (this.release = resolve));
  }

  @Exclusive()
  async broken(): Promise<void> {
    await Promise.resolve();
    throw new Error('backend exploded');
  }
}

describe('@Exclusive', () => {
  const logs = new Recorder();
  beforeAll(() => {
    Logger.overrideLogger(logs);
  });
  afterAll(() => {
    Logger.overrideLogger(false);
  });

  it('skips a tick while the previous run of the same job is still going', async () => {
    const job = new SlowJob();
    const first = job.tick();
    await job.tick();
    await job.tick();
    expect(job.runs).toBe(1);
    job.release();
    await first;
    const second = job.tick();
    expect(job.runs).toBe(2);
    job.release();
    await second;
  });

  it('guards each instance on its own', async () => {
    const a = new SlowJob();
    const b = new SlowJob();
    const runs = [a.tick(), b.tick()];
    expect([a.runs, b.runs]).toEqual([1, 1]);
    a.release();
    b.release();
    await Promise.all(runs);
  });

  it('logs a failing run instead of leaving a rejected promise to the scheduler', async () => {
    await expect(new SlowJob().broken()).resolves.toBeUndefined();
    expect(logs.lines).toContain('error SlowJob.broken failed: backend exploded');
  });
});
