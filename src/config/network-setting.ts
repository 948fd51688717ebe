import { isIP } from 'node:net';
import { z } from 'zod';
import { parseOrProblems } from './zod-schema.js';

/**
 * What a sandboxed stdio server may reach over the network (docs/process.md, "Network"):
 * - `none`: an empty network namespace, nothing at all;
 * - `egress`: the internet, but never the host (its loopback, its addresses, the satellite's
 *   ports) nor private, shared, link-local or multicast ranges;
 * - an allow-list: only the listed hosts/CIDRs (and ports), plus DNS; with `egress: true` the
 *   listed entries are reachable in addition to the internet (e.g. one database on the LAN).
 */
export type NetworkSetting =
  'none' | 'egress' | { readonly egress: boolean; readonly allow: readonly AllowEntry[] };

export type NetworkMode = 'none' | 'egress';
export const NETWORK_MODES = ['none', 'egress'] as const satisfies readonly NetworkMode[];

/** One allow-list entry: a host name or a CIDR/address, with an optional port or port range. */
export interface AllowEntry {
  /** As written, for messages. */
  readonly text: string;
  readonly host?: string;
  readonly cidr?: { readonly address: string; readonly prefix: number; readonly family: 4 | 6 };
  /** `443` or `8000-8100`; undefined: every port. */
  readonly ports?: string;
}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function parsePorts(text: string): string | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) return undefined;
  return m[2] === undefined ? String(lo) : `${lo}-${hi}`;
}

function parseAddress(text: string): AllowEntry['cidr'] | undefined {
  const [address = '', prefixText, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family };
}

/**
 * Parses `host`, `host:port`, `10.0.0.0/8`, `10.1.2.3:5432`, `[2001:db8::/32]:443`, `2001:db8::1`
 * (ports may be ranges, `8000-8100`). Returns an error message for anything else.
 */
export function parseAllowEntry(text: string): AllowEntry | string {
  const bad = `"${text}" is not a host, address or CIDR with an optional :port (e.g. "api.github.com:443", "10.1.0.0/16")`;
  let target = text.trim();
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.+))?$/.exec(target);
  if (bracketed) {
    target = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if ((target.match(/:/g) ?? []).length === 1) {
    const at = target.lastIndexOf(':');
    portText = target.slice(at + 1);
    target = target.slice(0, at);
  }
  let ports: string | undefined;
  if (portText !== undefined) {
    ports = parsePorts(portText);
    if (ports === undefined) return `${bad}: bad port "${portText}"`;
  }
  const withPorts = ports === undefined ? {} : { ports };
  const cidr = parseAddress(target);
  if (cidr) return { text, cidr, ...withPorts };
  if (target.includes('/') || target.includes(':') || !HOST_NAME.test(target)) return bad;
  if (/^[\d.]+$/.test(target)) return bad;
  return { text, host: target.toLowerCase(), ...withPorts };
}

const USAGE =
  'must be "none", "egress" or {"allow": ["host[:port]" | "cidr[:port]", …], "egress": false}';

/** One allow-list entry as written, read into its host or CIDR and ports. */
const allowEntrySchema = z.string().transform((entry, ctx) => {
  const parsed = parseAllowEntry(entry);
  if (typeof parsed !== 'string') return parsed;
  ctx.issues.push({ code: 'custom', message: parsed, input: entry });
  return z.NEVER;
});

/**
 * A server's `network` field: `"none"`, `"egress"`, or `{"allow": [...], "egress": false}`; the
 * same syntax in the server file and in a backend entry.
 */
export const networkSettingSchema = z.union(
  [
    z.enum(NETWORK_MODES),
    z
      .strictObject({ allow: z.array(allowEntrySchema), egress: z.boolean().default(false) })
      .transform((s): NetworkSetting => ({ egress: s.egress, allow: s.allow })),
  ],
  { error: USAGE },
);

/**
 * Reads a `network` field on its own. Problems are pushed with `where` as the prefix; undefined
 * means not set (or invalid).
 */
export function parseNetworkSetting(
  raw: unknown,
  where: string,
  problems: string[],
): NetworkSetting | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseOrProblems(networkSettingSchema, raw, where);
  if (parsed.ok) return parsed.data;
  problems.push(...parsed.problems);
  return undefined;
}

/** A short human form, for the debug route and messages. */
export function describeNetwork(setting: NetworkSetting): string {
  if (typeof setting === 'string') return setting;
  const list = setting.allow.map((e) => e.text).join(', ');
  return setting.egress ? `egress + ${list}` : `allow ${list || '(nothing)'}`;
}
