import type { ResourceLimits } from '../config/satellite-config.js';
import type { ProcessHealth } from './process-health.js';
import type { ProcessState } from './process-state.js';

/** One supervised server as the debug route and the status module see it. */
export interface ProcessInfo {
  id: string;
  slug: string;
  team: string;
  userId?: string;
  state: ProcessState;
  pid?: number;
  /** When the current state began (ISO). */
  since: string;
  restarts: number;
  crashesInWindow: number;
  lastError?: string;
  inFlight: number;
  lastCallAt?: string;
  sandbox: { driver: string; enforced: string[] };
  limits: ResourceLimits;
  /** Ping, CPU, memory and call latency (ProcessManagerService.list and get fill it in). */
  health?: ProcessHealth;
}
