// Invariant: where nsjail is installed, the nsjail driver runs a real server: handshake, calls,
// the clean environment, no host loopback, and the whole tree gone after removal.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  callTool,
  createHarness,
  fixture,
  type Harness,
  newClient,
  processesWithMarker,
  stdioDef,
  textOf,
} from './support/process-harness.js';
import { existsSync } from 'node:fs';
import { caTrustEnv, packageRunnerEnv } from '../../src/process/clean-env.js';

/** The package runners' cache and CA trust variables every server gets (clean-env.ts). */
const RUNNER_KEYS = [
  ...Object.keys(packageRunnerEnv('/')),
  ...Object.keys(caTrustEnv({}, existsSync)), // the harness passes none of its own
];

const nsjail = spawnSync('sh', ['-c', 'command -v nsjail'], { encoding: 'utf8' });
const available = nsjail.status === 0;
if (!available)
  console.warn(
    'skipped: nsjail e2e tests: nsjail is not on PATH (not packaged for Debian 12); its command line is pinned by the unit golden test',
  );
const describeNsjail = available ? describe : describe.skip;

describeNsjail(`nsjail sandbox (real)${available ? '' : ' [nsjail is not on PATH]'}`, () => {
  let h: Harness;
  let listener: Server;
  let port: number;

  beforeAll(async () => {
    listener = createServer((s) => s.end());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    port = (listener.address() as { port: number }).port;
    h = await createHarness({ sandbox: 'nsjail' });
  });

  afterAll(async () => {
    await h?.close();
    listener?.close();
  });

  it('runs a server with a clean environment, no host loopback, and leaves nothing after removal', async () => {
    expect(h.manager.sandboxReport().driver).toBe('nsjail');
    const marker = `nsjail-${process.pid}-${Date.now()}`;
    const def = stdioDef({ args: [fixture('tiny-server.mjs')], env: { NSJAIL_MARKER: marker } });
    await h.manager.start(def, newClient);
    expect(textOf(await callTool(h.manager, def.id, 'echo', { message: 'jailed' }))).toBe(
      'Echo: jailed',
    );
    const env = JSON.parse(textOf(await callTool(h.manager, def.id, 'env'))) as Record<
      string,
      string
    >;
    expect(Object.keys(env).sort()).toEqual(
      ['HOME', 'LANG', 'NSJAIL_MARKER', 'PATH', 'TMPDIR', ...RUNNER_KEYS].sort(),
    );
    expect(textOf(await callTool(h.manager, def.id, 'connect', { port }))).toMatch(/^error /);
    await h.manager.remove(def.id);
    expect(processesWithMarker(marker)).toEqual([]);
  }, 30_000);
});
