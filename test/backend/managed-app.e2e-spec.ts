// Invariant: with scheduling on, the managed modules run on their own: connect at start (first
// heartbeat, config), poll on the backend's pace, ship events every 3 s; they serve the RFC 9728
// metadata; and shutdown stops every timer.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { EventBusService } from '../../src/events/event-bus.service.js';
import { JobsModule } from '../../src/jobs/jobs.module.js';
import { FakeBackend } from '../fake-backend/fake-backend.js';
import { waitFor } from './support/wait-for.js';
import { type ManagedHarness, startManaged } from './support/managed-harness.js';

describe('managed modules as an application', () => {
  let backend: FakeBackend;
  let h: ManagedHarness;

  beforeAll(async () => {
    backend = await FakeBackend.start();
    backend.addRegistrationToken('deploystack_satellite_global_app');
    backend.setPolling({ polling_mode: 'immediate', next_poll_interval: 1 });
    h = await startManaged(backend, {
      registrationToken: 'deploystack_satellite_global_app',
      http: true,
      env: {
        DEPLOYSTACK_SCHEDULER_ENABLED: 'true',
        DEPLOYSTACK_SATELLITE_URL: 'https://satellite.example.com/',
        DEPLOYSTACK_BACKEND_PUBLIC_URL: 'https://cloud.example.com',
      },
      imports: (config) => [JobsModule.forRoot(config)],
    });
  });
  afterAll(async () => {
    await h?.close();
    await backend.stop();
  });

  it('connects at start and polls at the pace the backend asks for', async () => {
    await waitFor('two polls', () => backend.polls.length >= 2 || undefined, 10_000);
    expect(backend.registrations).toHaveLength(1);
    expect(backend.heartbeats[0].body).toMatchObject({
      status: 'active',
      satellite_url: 'https://satellite.example.com',
    });
    const scheduler = h.app!.get(SchedulerRegistry);
    expect(scheduler.getIntervals().sort()).toEqual([
      'backend-heartbeat',
      'client-activity',
      'event-flush',
      'idle-process-reaper',
      'introspection-cache-sweep',
      'tools-recheck',
      'usage-flush',
    ]);
    // Between two polls the next one is scheduled (during a poll, nothing is).
    await waitFor(
      'the next poll scheduled',
      () => scheduler.getTimeouts().includes('backend-command-poll') || undefined,
    );
  });

  it('ships emitted events on the 3-second flush', async () => {
    h.app!.get(EventBusService).emit('mcp.server.status_changed', {
      installation_id: 'inst-1',
      team_id: 'team-a',
      status: 'online',
      timestamp: new Date().toISOString(),
    });
    await waitFor(
      'the event at the backend',
      () => backend.events.find((e) => e.data.installation_id === 'inst-1'),
      10_000,
    );
  });

  it('serves the protected resource metadata at both well-known URLs', async () => {
    for (const url of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const res = await h.app!.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.json()).toEqual({
        resource: 'https://satellite.example.com/mcp',
        authorization_servers: ['https://cloud.example.com'],
        scopes_supported: ['mcp:read', 'mcp:tools:execute'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('stops polling on shutdown', async () => {
    await h.close();
    // A poll already on the wire when shutdown began may still land; after that, silence.
    await new Promise((r) => setTimeout(r, 200));
    const polls = backend.polls.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(backend.polls.length).toBe(polls);
  });
});
