import { describe, expect, it } from '@jest/globals';
import { CommandLedger } from './command-ledger.js';

describe('CommandLedger', () => {
  it('knows a command id after first sight and keeps its outcome until reported', () => {
    const ledger = new CommandLedger();
    const first = ledger.receive('c-1', 'kill', 1000);
    expect(first.firstSight).toBe(true);
    const again = ledger.receive('c-1', 'kill', 5000);
    expect(again).toEqual({ entry: first.entry, firstSight: false });
    expect(again.entry.receivedAt).toBe(1000);

    ledger.finish(first.entry, { status: 'failed', error_message: 'boom' });
    expect(ledger.unreported().map((e) => e.id)).toEqual(['c-1']);
    ledger.markReported(first.entry);
    expect(ledger.unreported()).toEqual([]);
  });

  it('forgets the oldest finished commands beyond its capacity, never running ones', () => {
    const ledger = new CommandLedger();
    const running = ledger.receive('running', 'spawn', 0).entry;
    for (let i = 0; i < 2100; i++)
      ledger.finish(ledger.receive(`c-${i}`, 'kill', i).entry, { status: 'completed', result: {} });
    expect(ledger.receive('running', 'spawn', 1).entry).toBe(running);
    expect(ledger.receive('c-0', 'kill', 9).firstSight).toBe(true);
    expect(ledger.receive('c-2099', 'kill', 9).firstSight).toBe(false);
  });
});
