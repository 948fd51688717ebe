import { Injectable } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { BackendUnavailableError } from './backend.errors.js';
import { backendSettings } from './backend-settings.js';

export interface BackendCall {
  readonly method: 'GET' | 'POST';
  /** Under the backend base URL, e.g. `/api/health`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Sent as `Authorization: Bearer …`; never part of a message or log line. */
  readonly bearer?: string;
  readonly timeoutMs: number;
}

export interface BackendAnswer {
  readonly status: number;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  readonly body: unknown;
  /** From `Retry-After` (seconds or HTTP date), when present. */
  readonly retryAfterMs?: number;
}

/**
 * Outbound HTTP to the backend (docs/style.md §3: the side effect behind one injectable): Node's
 * built-in fetch with an AbortSignal timeout per call. Network failures and timeouts become
 * BackendUnavailableError; every HTTP status is returned for the caller to judge.
 */
@Injectable()
export class BackendHttpClient {
  private readonly baseUrl: string;

  constructor(config: SatelliteConfig) {
    this.baseUrl = backendSettings(config).url;
  }

  async send(call: BackendCall): Promise<BackendAnswer> {
    const url = new URL(this.baseUrl + call.path);
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.bearer !== undefined) headers.authorization = `Bearer ${call.bearer}`;
    const what = `${call.method} ${call.path}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(call.timeoutMs),
        // A redirect would re-send the key to wherever it points; the backend URL must be final.
        redirect: 'error',
      });
      text = await response.text();
    } catch (err) {
      throw new BackendUnavailableError(`${what}: ${describeFetchError(err, call.timeoutMs)}`);
    }
    return {
      status: response.status,
      body: parseJson(text),
      ...retryAfter(response.headers.get('retry-after')),
    };
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function retryAfter(value: string | null): { retryAfterMs?: number } {
  if (!value) return {};
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: seconds * 1000 };
  const at = Date.parse(value);
  return Number.isNaN(at) ? {} : { retryAfterMs: Math.max(0, at - Date.now()) };
}

/** undici wraps the cause (ECONNREFUSED, ENOTFOUND…) in "fetch failed"; name the cause. */
function describeFetchError(err: unknown, timeoutMs: number): string {
  // A DOMException, which is not an Error in every realm (e.g. under jest's VM): go by name.
  const name =
    typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause =
    err instanceof Error
      ? (err.cause as { code?: string; message?: string } | undefined)
      : undefined;
  if (cause?.code) return `cannot reach the backend (${cause.code})`;
  if (cause?.message) return `cannot reach the backend (${cause.message})`;
  return `cannot reach the backend (${err instanceof Error ? err.message : String(err)})`;
}
