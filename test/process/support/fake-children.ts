import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import type { StdioServerDefinition } from '../../../src/config/server-definition.js';
import { ChildRun, type ChildRunHooks } from '../../../src/process/child-run.js';
import type { ChildLauncher } from '../../../src/process/process-launcher.service.js';
import type { Clock } from '../../../src/events/clock.js';
import { ProcessSpawner, type SpawnedChild } from '../../../src/process/process-spawner.js';
import { ProcTable } from '../../../src/process/proc-table.js';
import type { ProcessTuning } from '../../../src/process/process-tuning.js';

export interface Behaviour {
  hangInitialize?: boolean;
  ignoreSigterm?: boolean;
}

/** An in-process "child" that speaks MCP over its pipes: no fork in unit tests. */
export class FakeChild extends EventEmitter implements SpawnedChild {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  alive = true;
  readonly signals: string[] = [];

  constructor(
    readonly pid: number,
    readonly behaviour: Behaviour,
  ) {
    super();
    createInterface({ input: this.stdin }).on('line', (line) =>
      this.answer(JSON.parse(line) as { id?: number; method: string; params?: { name?: string } }),
    );
  }

  exit(code: number | null, signal: string | null): void {
    if (!this.alive) return;
    this.alive = false;
    this.stdout.end();
    this.stderr.end();
    setImmediate(() => this.emit('exit', code, signal));
  }

  private answer(msg: { id?: number; method: string; params?: { name?: string } }): void {
    const reply = (result: unknown) =>
      this.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result })}\n`);
    if (msg.id === undefined) return;
    if (msg.method === 'initialize') {
      if (!this.behaviour.hangInitialize)
        reply({
          protocolVersion: '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'fake', version: '1' },
        });
    } else if (msg.method === 'tools/list')
      reply({ tools: [{ name: 'echo', inputSchema: { type: 'object' } }] });
    else if (msg.params?.name === 'echo')
      reply({ content: [{ type: 'text', text: `pid ${this.pid}` }] });
    else if (msg.params?.name === 'crash') this.exit(1, null);
    // 'hang': never answers
  }
}

/** Signals go to the fake children; a group is alive while its child is. */
export class FakeSpawner extends ProcessSpawner {
  readonly children = new Map<number, FakeChild>();

  constructor() {
    super(new ProcTable());
  }

  override signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
    const child = this.children.get(pgid);
    if (!child?.alive) return false;
    if (signal === 0) return true;
    child.signals.push(signal);
    if (signal === 'SIGKILL' || !child.behaviour.ignoreSigterm) child.exit(null, signal);
    return true;
  }

  override groupAlive(pgid: number): boolean {
    return this.children.get(pgid)?.alive ?? false;
  }

  override signalProcess(pid: number, signal: NodeJS.Signals): void {
    this.signalGroup(pid, signal);
  }
}

/** Launches fake children with the real ChildRun (transport, stderr, termination). */
export class FakeLauncher implements ChildLauncher {
  readonly spawner = new FakeSpawner();
  readonly launched: FakeChild[] = [];
  behaviour: Behaviour = {};
  private nextPid = 1000;

  constructor(
    private readonly clock: Clock,
    private readonly tuning: ProcessTuning,
  ) {}

  get last(): FakeChild {
    return this.launched[this.launched.length - 1];
  }

  launch(_def: StdioServerDefinition, hooks: ChildRunHooks): ChildRun {
    const child = new FakeChild(++this.nextPid, { ...this.behaviour });
    this.spawner.children.set(child.pid, child);
    this.launched.push(child);
    return new ChildRun(
      child,
      { command: 'fake', args: [], env: {}, cwd: '/' },
      {
        spawner: this.spawner,
        clock: this.clock,
        tuning: this.tuning,
        killGraceMs: 100,
        redact: (s) => s,
        hooks,
        onGone: () => undefined,
      },
    );
  }
}
