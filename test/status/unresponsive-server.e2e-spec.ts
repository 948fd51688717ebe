// Invariant: a stdio server that stops answering pings while its process lives is shown as such
// everywhere the satellite reports it: the debug route's health, /metrics, and the heartbeat's
// process list (`health_status: unhealthy`, in the contract's vocabulary, with no new field).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SERVER_CONTROL, type ServerControl } from '../../src/discovery/server-control.js';
import { type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import { stdioEntry } from '../support/upstreams.js';
import { fixture } from '../process/support/process-harness.js';

interface DebugServer {
  slug: string;
  process: { pid: number; state: string; health: { verdict: string; unansweredPings: number } };
}

describe('an unresponsive stdio server on the status routes and in the heartbeat', () => {
  let sat: Satellite;
  let pid: number | undefined;
  beforeAll(async () => {
    sat = await startSatellite(
      { tiny: stdioEntry(fixture('tiny-server.mjs')) },
      {
        DEPLOYSTACK_PROCESS_PING_INTERVAL_MS: '250',
        DEPLOYSTACK_PROCESS_PING_TIMEOUT_MS: '1500',
        DEPLOYSTACK_PROCESS_RESTART_UNRESPONSIVE: 'false',
      },
    );
  }, 60_000);
  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT');
    await sat?.stop();
  });

  const tiny = async (): Promise<DebugServer> => {
    const debug = (await (await fetch(`${sat.baseUrl}/api/status/debug`)).json()) as {
      teams: Record<string, Record<string, DebugServer[]>>;
    };
    return debug.teams.default.stdio.find((s) => s.slug === 'tiny')!;
  };
  const heartbeatEntry = () =>
    sat.app
      .get<symbol, ServerControl>(SERVER_CONTROL)
      .processStates()
      .find((p) => p.server_name === 'tiny');
  const responsive = async () =>
    /^satellite_server_responsive\{server="tiny"\} (\d)$/m.exec(
      await (await fetch(`${sat.baseUrl}/metrics`)).text(),
    )?.[1];

  it('healthy, then unresponsive while stopped, then healthy again', async () => {
    await waitFor(
      'a healthy verdict',
      async () => (await tiny()).process.health.verdict === 'healthy',
    );
    expect(heartbeatEntry()).toEqual({
      id: 'tiny',
      server_name: 'tiny',
      status: 'running',
      health_status: 'healthy',
    });
    expect(await responsive()).toBe('1');

    pid = (await tiny()).process.pid;
    process.kill(pid, 'SIGSTOP');
    const stuck = await waitFor(
      'the unresponsive verdict',
      async () => {
        const s = await tiny();
        return s.process.health.verdict === 'unresponsive' ? s : undefined;
      },
      20_000,
    );
    expect(stuck.process.state).toBe('running');
    expect(heartbeatEntry()).toEqual({
      id: 'tiny',
      server_name: 'tiny',
      status: 'running',
      health_status: 'unhealthy',
    });
    expect(await responsive()).toBe('0');

    process.kill(pid, 'SIGCONT');
    pid = undefined;
    await waitFor(
      'the healthy verdict again',
      async () => (await tiny()).process.health.verdict === 'healthy',
      20_000,
    );
    expect(heartbeatEntry()?.health_status).toBe('healthy');
  }, 60_000);
});
