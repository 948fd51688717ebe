import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseNetworkSetting } from './network-setting.js';
import { DEFAULT_TEAM, type ExtraMount, type ServerDefinition } from './server-definition.js';

export const SLUG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A config file that cannot be used; `problems` names every problem found, not just the first. */
export class ServerConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid MCP server config ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ServerConfigError';
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(value: unknown, where: string, problems: string[]): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push(`${where} must be an object of strings`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else problems.push(`${where}.${k} must be a string`);
  }
  return out;
}

/** `"mounts": ["/srv/data", {"path": "/srv/out", "writable": true}]`: absolute host paths. */
function parseMounts(
  value: unknown,
  where: string,
  baseDir: string,
  problems: string[],
): ExtraMount[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push(`${where} must be an array of paths or {"path", "writable"} objects`);
    return undefined;
  }
  const out: ExtraMount[] = [];
  value.forEach((item, i) => {
    const obj: Json = isObject(item) ? item : { path: item };
    const { path, writable = false } = obj;
    if (typeof path !== 'string' || path.trim() === '' || typeof writable !== 'boolean') {
      problems.push(`${where}[${i}] must be a path or {"path": string, "writable": boolean}`);
      return;
    }
    out.push({ path: isAbsolute(path) ? path : resolve(baseDir, path), writable });
  });
  return out;
}

function parseEntry(
  slug: string,
  raw: unknown,
  baseDir: string,
  problems: string[],
): ServerDefinition | undefined {
  const at = `mcpServers.${slug}`;
  const before = problems.length;
  if (!SLUG_PATTERN.test(slug)) {
    problems.push(`${at}: the key is the server slug and must match ${SLUG_PATTERN.source}`);
  }
  if (!isObject(raw)) {
    problems.push(`${at} must be an object`);
    return undefined;
  }
  const type =
    raw.type ?? (raw.command !== undefined ? 'stdio' : raw.url !== undefined ? 'http' : undefined);
  const team = raw.team ?? DEFAULT_TEAM;
  if (typeof team !== 'string' || !SLUG_PATTERN.test(team))
    problems.push(`${at}.team must match ${SLUG_PATTERN.source}`);
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean')
    problems.push(`${at}.enabled must be a boolean`);
  if (raw.description !== undefined && typeof raw.description !== 'string')
    problems.push(`${at}.description must be a string`);
  const timeout = raw.timeout;
  if (
    timeout !== undefined &&
    (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 100)
  ) {
    problems.push(`${at}.timeout must be a number of milliseconds >= 100`);
  }
  const base = {
    id: slug,
    slug,
    team: typeof team === 'string' ? team : DEFAULT_TEAM,
    enabled: raw.enabled !== false,
    ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    ...(typeof timeout === 'number' ? { timeoutMs: timeout } : {}),
  };

  if (type === 'stdio') {
    if (typeof raw.command !== 'string' || raw.command.trim() === '')
      problems.push(`${at}.command must be a non-empty string`);
    const args = raw.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
      problems.push(`${at}.args must be an array of strings`);
    const env = stringMap(raw.env, `${at}.env`, problems);
    if (raw.cwd !== undefined && typeof raw.cwd !== 'string')
      problems.push(`${at}.cwd must be a string`);
    const network = parseNetworkSetting(raw.network, `${at}.network`, problems);
    const mounts = parseMounts(raw.mounts, `${at}.mounts`, baseDir, problems);
    if (problems.length > before) return undefined;
    return {
      ...base,
      transport: 'stdio',
      command: raw.command as string,
      args: args as string[],
      env,
      ...(typeof raw.cwd === 'string'
        ? { cwd: isAbsolute(raw.cwd) ? raw.cwd : resolve(baseDir, raw.cwd) }
        : {}),
      ...(network !== undefined ? { network } : {}),
      ...(mounts !== undefined ? { mounts } : {}),
      secrets: Object.values(env).filter((v) => v.length >= 4),
    };
  }
  if (
    type === 'http' ||
    type === 'streamable-http' ||
    type === 'streamableHttp' ||
    type === 'sse'
  ) {
    let url: URL | undefined;
    try {
      url = new URL(String(raw.url));
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    } catch {
      problems.push(`${at}.url must be an http(s) URL`);
    }
    const headers = stringMap(raw.headers, `${at}.headers`, problems);
    const urls = parseInstanceUrls(raw.urls, url, `${at}.urls`, problems);
    if (problems.length > before || !url) return undefined;
    return {
      ...base,
      transport: type === 'sse' ? 'sse' : 'http',
      url: url.toString(),
      ...(urls ? { urls } : {}),
      headers,
      secrets: Object.values(headers).filter((v) => v.length >= 4),
    };
  }
  problems.push(
    `${at}.type must be "stdio", "http", "streamable-http" or "sse" (or give "command" or "url")`,
  );
  return undefined;
}

/**
 * `"urls": [...]`, an instance pool: further instances of the same server beside `"url"`
 * (docs/configuration.md "Instance pools"). The result starts with `url` and has no duplicates.
 */
function parseInstanceUrls(
  value: unknown,
  url: URL | undefined,
  where: string,
  problems: string[],
): string[] | undefined {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [];
  const parsed = list.map((u) => URL.parse(typeof u === 'string' ? u : ''));
  if (list.length === 0 || parsed.some((u) => !u || !/^https?:$/.test(u.protocol))) {
    problems.push(`${where} must be a non-empty array of http(s) URLs`);
    return undefined;
  }
  const all = [...new Set([url?.toString(), ...parsed.map((u) => u!.toString())])];
  return all.filter((u): u is string => u !== undefined);
}

/** Parses the Claude Desktop / Cursor / VS Code format (`mcpServers` or `servers`). */
export function parseServerConfig(text: string, source: string): ServerDefinition[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ServerConfigError(source, [`not valid JSON: ${(err as Error).message}`]);
  }
  if (!isObject(doc)) throw new ServerConfigError(source, ['the top level must be a JSON object']);
  const servers = doc.mcpServers ?? doc.servers;
  if (servers === undefined)
    throw new ServerConfigError(source, ['no "mcpServers" (or "servers") object']);
  if (!isObject(servers))
    throw new ServerConfigError(source, ['"mcpServers" must be an object keyed by server slug']);
  const problems: string[] = [];
  const baseDir = dirname(source);
  const defs: ServerDefinition[] = [];
  for (const [slug, entry] of Object.entries(servers)) {
    const def = parseEntry(slug, entry, baseDir, problems);
    if (def) defs.push(def);
  }
  if (problems.length > 0) throw new ServerConfigError(source, problems);
  return defs;
}

export async function readServerConfigFile(path: string): Promise<ServerDefinition[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ServerConfigError(path, [
      `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  return parseServerConfig(text, path);
}
