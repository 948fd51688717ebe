import { PassThrough } from 'node:stream';
import { describe, expect, it, jest } from '@jest/globals';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { StdioChildTransport } from './stdio-child-transport.js';

function setup(maxLineBytes = 1024) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const hooks = { onLineTooLong: jest.fn(), onGarbage: jest.fn(), onCloseRequested: jest.fn() };
  const t = new StdioChildTransport({ stdin, stdout }, maxLineBytes, hooks);
  const messages: JSONRPCMessage[] = [];
  t.onmessage = (m) => messages.push(m);
  return { t, stdin, stdout, hooks, messages };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('StdioChildTransport', () => {
  it('writes one JSON message per line and parses JSON-RPC lines from stdout', async () => {
    const { t, stdin, stdout, messages } = setup();
    await t.start();
    await t.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(String(stdin.read())).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    stdout.write('{"jsonrpc":"2.0","id":1,"result":{}}\n');
    await flush();
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
  });

  it('times each answered request by method, on its own clock; notifications and answers it sends are not timed', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let now = 1000;
    const answered: Array<[string, number]> = [];
    const t = new StdioChildTransport({ stdin, stdout }, 1024, {
      onLineTooLong: jest.fn(),
      onGarbage: jest.fn(),
      onCloseRequested: jest.fn(),
      onAnswered: (method, ms) => answered.push([method, ms]),
      now: () => now,
    });
    await t.start();
    await t.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } });
    await t.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    await t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await t.send({ jsonrpc: '2.0', id: 'srv-1', result: {} }); // our answer to the server
    now = 1040;
    stdout.write('{"jsonrpc":"2.0","id":2,"result":{}}\n');
    await flush();
    now = 1250;
    stdout.write('{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"bad"}}\n');
    stdout.write('{"jsonrpc":"2.0","id":1,"result":{}}\n'); // a duplicate is not timed twice
    await flush();
    expect(answered).toEqual([
      ['ping', 40],
      ['tools/call', 250],
    ]);
  });

  it('reports non-JSON and non-JSON-RPC lines without failing', async () => {
    const { t, stdout, hooks, messages } = setup();
    await t.start();
    stdout.write(
      'npm WARN something\n{"hello":"world"}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n',
    );
    await flush();
    expect(hooks.onGarbage.mock.calls.map((c) => c[0])).toEqual([
      'npm WARN something',
      '{"hello":"world"}',
    ]);
    expect(messages).toHaveLength(1);
  });

  it('an overlong line stops reading and asks the owner to kill the process', async () => {
    const { t, stdout, hooks } = setup(16);
    const onerror = jest.fn();
    t.onerror = onerror;
    await t.start();
    stdout.write('x'.repeat(40));
    await flush();
    expect(hooks.onLineTooLong).toHaveBeenCalledWith(16);
    expect(onerror).toHaveBeenCalled();
    expect(stdout.destroyed).toBe(true);
  });

  it('close asks for termination once, fires onclose once, and later sends fail', async () => {
    const { t, hooks } = setup();
    const onclose = jest.fn();
    t.onclose = onclose;
    await t.start();
    await t.close();
    t.markClosed();
    await t.close();
    expect(hooks.onCloseRequested).toHaveBeenCalledTimes(1);
    expect(onclose).toHaveBeenCalledTimes(1);
    await expect(t.send({ jsonrpc: '2.0', id: 2, method: 'ping' })).rejects.toThrow(/exited/);
  });
});
