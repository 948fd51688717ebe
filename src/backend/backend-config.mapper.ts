import type { z } from 'zod';
import type { ServerDefinition } from '../config/server-definition.js';
import { describeIssues, issueMessages } from '../config/zod-schema.js';
import { type BackendServerEntry, backendServerEntrySchema } from './backend-wire.schema.js';

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
const isRecord = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Marks an array item to leave out. */
const DROPPED = Symbol('dropped');

/** The schema of one field for this entry's transport, unwrapped from optional/nullable. */
function fieldOf(raw: Json, key: string): { required: boolean; kind?: string } {
  const option = backendServerEntrySchema.options.find(
    (o) => o.shape.transport_type.safeParse(raw.transport_type).success,
  );
  let schema: z.ZodType | undefined = (option?.shape as Record<string, z.ZodType> | undefined)?.[
    key
  ];
  if (!schema) return { required: key === 'transport_type' };
  const required = schema._zod.optin !== 'optional';
  while (['optional', 'nullable', 'default', 'catch'].includes(schema._zod.def.type))
    schema = (schema._zod.def as unknown as { innerType: z.ZodType }).innerType;
  return { required, kind: schema._zod.def.type };
}

/**
 * Reads one entry with its schema. A problem in a required field skips the entry (`fatal`); a bad
 * optional field is left out, and so is one bad item of a list or map (`args`, `env`, `headers`),
 * each reported in `ignored`.
 */
function readEntry(
  raw: Json,
  at: string,
): { entry?: BackendServerEntry; fatal: string[]; ignored: string[] } {
  const value = structuredClone(raw);
  const ignored: string[] = [];
  for (let round = 0; round < 4; round++) {
    const result = backendServerEntrySchema.safeParse(value, { error: issueMessages });
    if (result.success) return { entry: result.data, fatal: [], ignored };
    const fatal: string[] = [];
    for (const issue of result.error.issues) {
      const key = issue.path.length > 0 ? String(issue.path[0]) : undefined;
      const field = key === undefined ? { required: true } : fieldOf(value, key);
      if (key === undefined || field.required) {
        fatal.push(...describeIssues([issue], ''));
        continue;
      }
      const container = value[key];
      const item = issue.path[1];
      const itemwise = field.kind === 'array' || field.kind === 'record';
      if (itemwise && item !== undefined && Array.isArray(container))
        container[Number(item)] = DROPPED;
      else if (itemwise && item !== undefined && isRecord(container))
        delete container[String(item)];
      else delete value[key];
      ignored.push(...describeIssues([issue], at).map((p) => `${p}; ignored`));
    }
    if (fatal.length > 0) return { fatal, ignored };
    for (const [k, v] of Object.entries(value))
      if (Array.isArray(v)) value[k] = v.filter((x) => x !== DROPPED);
  }
  return { fatal: ['it could not be read'], ignored };
}

/**
 * Turns the backend's `mcp_servers` map into server definitions for the registry diff
 * (docs/backend-contract.md "Configuration"). The map key is the opaque installation name: used
 * as a lookup key and in messages, never parsed. Each entry is read with
 * `backendServerEntrySchema`: one missing a required field is left out and reported; a bad
 * optional field is ignored and reported.
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
    const { entry, fatal, ignored } = readEntry(raw, at);
    problems.push(...ignored);
    if (entry && seen.has(entry.installation_id))
      fatal.push(`installation_id ${entry.installation_id} appears twice (it must be unique)`);
    if (!entry || fatal.length > 0) {
      problems.push(`${at} skipped: ${fatal.join(', ')}`);
      continue;
    }
    const def = toDefinition(entry, name);
    seen.add(def.id);
    idsByName.set(name, def.id);
    idsByName.set(entry.installation_name || name, def.id);
    secrets.push(...def.secrets);
    servers.push(def);
  }
  return { servers, problems, secrets: [...new Set(secrets)], idsByName };
}

function toDefinition(entry: BackendServerEntry, key: string): ServerDefinition {
  // The key is the installation name (docs/backend-contract.md "Configuration"); the entry
  // repeats it.
  const installationName = entry.installation_name || key;
  const base = {
    id: entry.installation_id,
    slug: entry.server_slug,
    ...(installationName !== entry.server_slug ? { name: installationName } : {}),
    team: entry.team_id,
    ...(entry.user_id ? { userId: entry.user_id } : {}),
    enabled: entry.enabled !== false,
    ...(entry.server_name ? { description: entry.server_name } : {}),
  };
  const meta = entry.secret_metadata;
  if (entry.transport_type === 'stdio') {
    const env = entry.env ?? {};
    const secretEnv = new Set(meta.env);
    return {
      ...base,
      transport: 'stdio',
      command: entry.command,
      args: entry.args ?? [],
      env,
      // Not in DeployStack's contract today: honoured when a backend sends it (docs/process.md
      // "Network"), the satellite default otherwise.
      ...(entry.network !== undefined ? { network: entry.network } : {}),
      secrets: Object.entries(env)
        .filter(([k]) => secretEnv.has(k))
        .map(([, v]) => v),
    };
  }
  const headers = entry.headers ?? {};
  const query = entry.url_query_params ?? {};
  const url = new URL(entry.url);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const secretHeaders = new Set(meta.headers.map((h) => h.toLowerCase()));
  const secretQuery = new Set(meta.query_params);
  const headerSecrets = Object.entries(headers)
    .filter(
      ([k]) => secretHeaders.has(k.toLowerCase()) || ALWAYS_SECRET_HEADERS.has(k.toLowerCase()),
    )
    .map(([, v]) => v);
  // A query value appears URL-encoded inside the URL string: mask both spellings.
  const querySecrets = Object.entries(query)
    .filter(([k]) => secretQuery.has(k))
    .flatMap(([, v]) => [v, new URLSearchParams({ v }).toString().slice(2)]);
  return {
    ...base,
    transport: entry.transport_type,
    url: url.toString(),
    headers,
    ...(typeof entry.timeout === 'number' ? { timeoutMs: entry.timeout } : {}),
    secrets: [...headerSecrets, ...querySecrets],
  };
}
