/** Argument names whose values are never written anywhere (logs, the backend's request logs). */
const SECRET_KEY =
  /pass(word|phrase|wd)?|secret|token|api[-_]?key|auth|credential|cookie|session|private[-_]?key|signature|bearer|otp|pin$/i;
/** Values that are credentials whatever their name: bearer/basic headers, JWTs, PEM keys. */
const SECRET_VALUE =
  /^(bearer|basic)\s+\S+|eyJ[\w-]{8,}\.[\w-]{8,}\.|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;
const MAX_STRING = 500;
const MAX_DEPTH = 6;
const MAX_ITEMS = 50;

export const REDACTED = '[REDACTED]';

/**
 * A copy of a tool call's arguments that is safe to keep: values under secret-looking names and
 * credential-looking values are replaced, long strings cut, deep or wide structures bounded.
 */
export function redactArguments(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    if (SECRET_VALUE.test(value.trim())) return REDACTED;
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value))
    return value.slice(0, MAX_ITEMS).map((v) => redactArguments(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value).slice(0, MAX_ITEMS))
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactArguments(v, depth + 1);
  return out;
}
