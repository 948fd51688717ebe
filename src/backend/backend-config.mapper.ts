import { parseNetworkSetting } from '../config/network-setting.js';
import { SLUG_PATTERN } from '../config/mcp-server-file.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { isRecord } from './backend-wire.parsers.js';

export interface MappedBackendConfig {
  readonly servers: ServerDefinition[];
  /** One line per entry (or field) that could not be used; never contains a value. */
  readonly problems: string[];
  /** Values to mask in every log line: the env/header/query values named in `secret_metadata`. */
  readonly secrets: string[];
  /** Installation name → installation id, so commands that name an installation can be resolved. */
  readonly idsByName: ReadonlyMap<string, string>;
}

/** Headers that carry credentials whether or not the backend marks them secret. */
const ALWAYS_SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
]);

type Json = Record<string, unknown>;

function stringMap(value: unknown, where: string, problems: string[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    problems.push(`${where} must be an object of strings; ignored`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else problems.push(`${where}.${k} must be a string; ignored`);
  }
  return out;
}

function names(meta: Json, key: string): string[] {
  const list = meta[key];
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : [];
}

/**
 * Turns the backend's `mcp_servers` map into server definitions for the registry diff
 * (docs/backend-contract.md "Configuration"). The map key is the opaque installation name: used
 * as a lookup key and in messages, never parsed. An entry missing a required field is left out
 * and reported; a bad optional field is ignored and reported.
 */
export function mapBackendServers(entries: Readonly<Record<string, unknown>>): MappedBackendConfig {
  const servers: ServerDefinition[] = [];
  const problems: string[] = [];
  const secrets: string[] = [];
  const idsByName = new Map<string, string>();
  const seen = new Set<string>();

  for (const [name, raw] of Object.entries(entries)) {
    const at = `mcp_servers["${name}"]`;
    if (!isRecord(raw)) {
      problems.push(`${at} is not an object; skipped`);
      continue;
    }
    const missing: string[] = [];
    const req = (field: string): string => {
      const v = raw[field];
      if (typeof v === 'string' && v !== '') return v;
      missing.push(field);
      return '';
    };
    const id = req('installation_id');
    const slug = req('server_slug');
    const team = req('team_id');
    const transport = raw.transport_type;
    if (transport !== 'stdio' && transport !== 'http' && transport !== 'sse')
      missing.push('transport_type (stdio|http|sse)');
    if (slug && !SLUG_PATTERN.test(slug))
      missing.push(`server_slug matching ${SLUG_PATTERN.source}`);
    if (id && seen.has(id)) missing.push(`a unique installation_id (${id} appears twice)`);
    const entryProblems: string[] = [];

    const meta = isRecord(raw.secret_metadata) ? raw.secret_metadata : {};
    // The key is the installation name (docs/backend-contract.md "Configuration"); the entry
    // repeats it.
    const installationName =
      typeof raw.installation_name === 'string' && raw.installation_name !== ''
        ? raw.installation_name
        : name;
    const base = {
      id,
      slug,
      ...(installationName !== slug ? { name: installationName } : {}),
      team,
      ...(typeof raw.user_id === 'string' && raw.user_id !== '' ? { userId: raw.user_id } : {}),
      enabled: raw.enabled !== false,
      ...(typeof raw.server_name === 'string' && raw.server_name !== ''
        ? { description: raw.server_name }
        : {}),
    };

    let def: ServerDefinition | undefined;
    if (transport === 'stdio') {
      const command = req('command');
      const args = Array.isArray(raw.args)
        ? raw.args.filter((a): a is string => typeof a === 'string')
        : [];
      if (raw.args !== undefined && (!Array.isArray(raw.args) || args.length !== raw.args.length)) {
        entryProblems.push(`${at}.args must be an array of strings; non-strings ignored`);
      }
      const env = stringMap(raw.env, `${at}.env`, entryProblems);
      const secretEnv = new Set(names(meta, 'env'));
      const envSecrets = Object.entries(env)
        .filter(([k]) => secretEnv.has(k))
        .map(([, v]) => v);
      // Not in DeployStack's contract today: honoured when a backend sends it (same syntax as
      // the server file's `network`, docs/process.md "Network"), the satellite default otherwise.
      const network = parseNetworkSetting(raw.network, `${at}.network`, entryProblems);
      def = {
        ...base,
        transport,
        command,
        args,
        env,
        ...(network !== undefined ? { network } : {}),
        secrets: envSecrets,
      };
    } else if (transport === 'http' || transport === 'sse') {
      const rawUrl = req('url');
      const headers = stringMap(raw.headers, `${at}.headers`, entryProblems);
      const query = stringMap(raw.url_query_params, `${at}.url_query_params`, entryProblems);
      let url = '';
      try {
        const parsed = new URL(rawUrl);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
          throw new Error('not http(s)');
        for (const [k, v] of Object.entries(query)) parsed.searchParams.set(k, v);
        url = parsed.toString();
      } catch {
        if (rawUrl) missing.push('url (an http(s) URL)');
      }
      const secretHeaders = new Set(names(meta, 'headers').map((h) => h.toLowerCase()));
      const secretQuery = new Set(names(meta, 'query_params'));
      const headerSecrets = Object.entries(headers)
        .filter(
          ([k]) => secretHeaders.has(k.toLowerCase()) || ALWAYS_SECRET_HEADERS.has(k.toLowerCase()),
        )
        .map(([, v]) => v);
      // A query value appears URL-encoded inside the URL string: mask both spellings.
      const querySecrets = Object.entries(query)
        .filter(([k]) => secretQuery.has(k))
        .flatMap(([, v]) => [v, new URLSearchParams({ v }).toString().slice(2)]);
      const timeout = raw.timeout;
      const timeoutOk = typeof timeout === 'number' && Number.isFinite(timeout) && timeout >= 100;
      if (timeout !== undefined && timeout !== null && !timeoutOk)
        entryProblems.push(`${at}.timeout must be milliseconds >= 100; ignored`);
      def = {
        ...base,
        transport,
        url,
        headers,
        ...(timeoutOk ? { timeoutMs: timeout } : {}),
        secrets: [...headerSecrets, ...querySecrets],
      };
    }

    problems.push(...entryProblems);
    if (missing.length > 0 || !def) {
      problems.push(`${at} skipped: needs ${missing.join(', ')}`);
      continue;
    }
    seen.add(id);
    idsByName.set(name, id);
    idsByName.set(installationName, id);
    secrets.push(...def.secrets);
    servers.push(def);
  }
  return { servers, problems, secrets: [...new Set(secrets)], idsByName };
}
