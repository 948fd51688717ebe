import type { SatelliteEventMap } from '../events/event-map.js';
import type { UsageCall } from './usage-call.js';

type Activity = SatelliteEventMap['mcp.client.activity'];

/** Distinct (user, team, OAuth client) entries between two reports; later ones wait for the next. */
const MAX_ENTRIES = 1_000;

/**
 * Managed mode's `mcp.client.activity`: tool calls summed per user, team and OAuth client between
 * two reports (the backend's contract needs all three, so calls without a user or an OAuth client
 * are not in it).
 */
export class ActivityTracker {
  private entries = new Map<string, Activity>();

  add(call: UsageCall, client: string, now: number): void {
    if (!call.userId || !call.oauthClientId) return;
    const key = `${call.userId}\u0000${call.team}\u0000${call.oauthClientId}`;
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= MAX_ENTRIES) return;
      entry = {
        user_id: call.userId,
        team_id: call.team,
        oauth_client_id: call.oauthClientId,
        request_count: 0,
        tool_call_count: 0,
        last_activity_at: '',
      };
      this.entries.set(key, entry);
    }
    entry.request_count++;
    entry.tool_call_count++;
    entry.last_activity_at = new Date(now).toISOString();
    if (client !== 'unknown') entry.client_name = client;
    if (call.sessionId) entry.session_id = call.sessionId;
  }

  /** What was gathered since the last call, and a fresh start. */
  take(): Activity[] {
    const out = [...this.entries.values()];
    this.entries = new Map();
    return out;
  }
}
