import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { ManualClock } from '../../test/support/manual-clock.js';
import { EventBusService } from './event-bus.service.js';
import type { SatelliteEvent } from './event-map.js';
import { EventQueueStore } from './event-queue.store.js';
import {
  DEFAULT_EVENT_SHIPPER_OPTIONS,
  type EventShipperOptions,
} from './event-shipper.options.js';
import { EventShipperService } from './event-shipper.service.js';
import type { EventSink, SendResult } from './event-sink.js';

/** A sink we own: records batches and answers with a rule (accept by default). */
class ScriptedSink implements EventSink {
  readonly batches: SatelliteEvent[][] = [];
  answer: (batch: readonly SatelliteEvent[]) => SendResult | Promise<SendResult> = () => ({
    outcome: 'accepted',
    failures: [],
  });
  send(batch: readonly SatelliteEvent[]): Promise<SendResult> {
    this.batches.push([...batch]);
    return Promise.resolve(this.answer(batch));
  }
  delivered(): string[] {
    return this.batches.flat().map((e) => (e.data as { source: string }).source);
  }
}

const emit = (bus: EventBusService, source: string) =>
  bus.emit('config.refreshed', { source, added: 0, removed: 0, modified: 0, unchanged: 0 });

describe('EventShipperService', () => {
  let shipper: EventShipperService;
  let bus: EventBusService;
  let sink: ScriptedSink;
  let clock: ManualClock;
  let queuePath: string;

  beforeAll(() => {
    Logger.overrideLogger(['error']);
  });
  afterEach(async () => {
    await shipper.onApplicationShutdown();
  });

  function build(options: Partial<EventShipperOptions> = {}, capacity = 10_000): void {
    bus = new EventBusService();
    sink = new ScriptedSink();
    clock = new ManualClock();
    queuePath = join(mkdtempSync(join(tmpdir(), 'shipper-')), 'q.sqlite');
    const store = EventQueueStore.open({ path: queuePath, capacity });
    shipper = new EventShipperService(bus, sink, store, clock, {
      ...DEFAULT_EVENT_SHIPPER_OPTIONS,
      shutdownFlushMs: 50,
      ...options,
    });
    shipper.onModuleInit();
  }

  it('sends in batches of at most batchSize, oldest first, and at most maxBatchesPerFlush per flush', async () => {
    build({ batchSize: 100, maxBatchesPerFlush: 2 });
    for (let i = 0; i < 250; i++) emit(bus, `e${i}`);
    await shipper.flush();
    expect(sink.batches.map((b) => b.length)).toEqual([100, 100]);
    await shipper.flush();
    expect(sink.batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(sink.delivered()).toEqual(Array.from({ length: 250 }, (_, i) => `e${i}`));
  });

  it('backs off with jitter (ceiling 3 s doubling to the cap, floor 1.5 s) while the sink is unavailable, then resumes', async () => {
    build({ baseBackoffMs: 3_000, maxBackoffMs: 60_000 });
    sink.answer = () => ({ outcome: 'unavailable', reason: 'down' });
    emit(bus, 'x');
    const attempts: number[] = [];
    const start = clock.now();
    for (let s = 0; s < 600; s++) {
      const before = sink.batches.length;
      await shipper.flush();
      if (sink.batches.length > before) attempts.push(clock.now() - start);
      clock.advance(1000);
    }
    // The n-th wait lies in [1.5 s, min(60 s, 3 s · 2^(n-1))]; flushes come once a second, so
    // the gap between two attempts is that wait rounded up to the next whole second.
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    expect(gaps.length).toBeGreaterThanOrEqual(9);
    gaps.forEach((gap, i) => {
      const ceiling = Math.min(60_000, 3_000 * 2 ** i);
      expect(gap).toBeGreaterThanOrEqual(2_000);
      expect(gap).toBeLessThanOrEqual(Math.ceil(ceiling / 1000) * 1000);
    });
    expect(shipper.stats()).toMatchObject({ queued: 1, lastError: 'down' });

    sink.answer = () => ({ outcome: 'accepted', failures: [] });
    clock.advance(60_000);
    await shipper.flush();
    expect(shipper.stats()).toMatchObject({ queued: 0, delivered: 1, consecutiveFailures: 0 });
  });

  it('isolates several malformed events of a refused batch and drops only them', async () => {
    build();
    const bad = new Set(['e7', 'e8', 'e61']);
    sink.answer = (batch) =>
      batch.some((e) => bad.has((e.data as { source: string }).source))
        ? { outcome: 'refused', reason: '400' }
        : { outcome: 'accepted', failures: [] };
    for (let i = 0; i < 100; i++) emit(bus, `e${i}`);
    await shipper.flush();
    const accepted = sink.batches.filter(
      (b) => !b.some((e) => bad.has((e.data as { source: string }).source)),
    );
    expect(accepted.flat().map((e) => (e.data as { source: string }).source)).toEqual(
      Array.from({ length: 100 }, (_, i) => `e${i}`).filter((s) => !bad.has(s)),
    );
    expect(shipper.stats()).toMatchObject({ queued: 0, delivered: 97, droppedRefused: 3 });
  });

  it('stops a bisection when the sink becomes unavailable, keeping the rest queued', async () => {
    build();
    let calls = 0;
    sink.answer = () =>
      ++calls === 1
        ? { outcome: 'refused', reason: '400' }
        : { outcome: 'unavailable', reason: 'gone' };
    for (let i = 0; i < 10; i++) emit(bus, `e${i}`);
    await shipper.flush();
    expect(shipper.stats()).toMatchObject({
      queued: 10,
      droppedRefused: 0,
      consecutiveFailures: 1,
    });
  });

  it('treats a sink that throws as unavailable (nothing lost)', async () => {
    build();
    sink.answer = () => {
      throw new Error('socket hang up');
    };
    emit(bus, 'kept');
    await shipper.flush();
    expect(shipper.stats()).toMatchObject({ queued: 1, lastError: 'socket hang up' });
  });

  it('counts receiver-side failures of an accepted batch without resending them', async () => {
    build();
    sink.answer = () => ({
      outcome: 'accepted',
      failures: [{ index: 1, type: 'config.refreshed', error: 'unknown type' }],
    });
    emit(bus, 'a');
    emit(bus, 'b');
    await shipper.flush();
    await shipper.flush();
    expect(sink.batches).toHaveLength(1);
    expect(shipper.stats()).toMatchObject({ queued: 0, delivered: 1, failedAtReceiver: 1 });
  });

  it('flushes on shutdown within its bound and ignores events emitted after it', async () => {
    build();
    emit(bus, 'last');
    await shipper.onApplicationShutdown();
    expect(sink.delivered()).toEqual(['last']);
    emit(bus, 'too-late');
    expect(sink.delivered()).toEqual(['last']);
  });

  it('leaves events on disk when the shutdown flush does not finish in time', async () => {
    build({ shutdownFlushMs: 20 });
    let answer: (() => void) | undefined;
    sink.answer = () =>
      new Promise<SendResult>((resolve) => {
        answer = () => resolve({ outcome: 'accepted', failures: [] });
      });
    emit(bus, 'slow');
    // The backend has not answered when shutdown returns: had shutdown waited for it, this await
    // would never end.
    await shipper.onApplicationShutdown();
    expect(answer).toBeDefined();
    const reopened = EventQueueStore.open({ path: queuePath, capacity: 10 });
    expect(reopened.size()).toBe(1);
    reopened.close();
    answer?.();
  });
});
