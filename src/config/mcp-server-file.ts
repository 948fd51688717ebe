import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { networkSettingSchema } from './network-setting.js';
import { approvedToolsHashSchema, toolPinningSchema } from './tool-pinning-setting.js';
import { DEFAULT_TEAM, type ServerDefinition } from './server-definition.js';
import { describeIssues, isHttpUrl, issueMessages } from './zod-schema.js';

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

/** Values of `env` and `headers`: numbers and booleans are taken as strings. */
const stringMap = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string' }).transform(String),
  { error: 'must be an object of strings' },
);

/** `"/srv/data"` (read-only) or `{"path": "/srv/out", "writable": true}`. */
const mountSchema = z.union(
  [
    z
      .string()
      .trim()
      .min(1)
      .transform((path) => ({ path, writable: false })),
    z.object({ path: z.string().trim().min(1), writable: z.boolean().default(false) }),
  ],
  { error: 'must be a path or {"path": string, "writable": boolean}' },
);

const isObjectPayload = ({ value }: { value: unknown }) =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const TYPES = ['stdio', 'http', 'streamable-http', 'streamableHttp', 'sse'] as const;

/**
 * One entry of `mcpServers`: every field of docs/configuration.md "The server file". Unknown
 * fields are ignored (other clients' files carry their own). A new field is one line here and
 * one in `toDefinition`.
 */
export const serverEntrySchema = z
  .object({
    type: z
      .enum(TYPES, {
        error: `must be "stdio", "http", "streamable-http" or "sse" (or give "command" or "url")`,
      })
      .optional(),
    command: z.string().trim().min(1).optional(),
    args: z
      .array(z.string(), { error: 'must be an array of strings' })
      .nullish()
      .transform((a) => a ?? []),
    env: stringMap.default({}),
    cwd: z.string().optional(),
    url: z.string().refine(isHttpUrl, { error: 'must be an http(s) URL' }).optional(),
    headers: stringMap.default({}),
    team: z
      .string()
      .regex(SLUG_PATTERN)
      .nullish()
      .transform((t) => t ?? DEFAULT_TEAM),
    enabled: z.boolean().default(true),
    timeout: z.number().min(100, { error: 'must be a number of milliseconds >= 100' }).optional(),
    description: z.string().optional(),
    network: networkSettingSchema.optional(),
    mounts: z
      .array(mountSchema, { error: 'must be an array of paths or {"path", "writable"} objects' })
      .optional(),
    /** An instance pool: further instances beside `url` (docs/configuration.md "Instance pools"). */
    urls: z
      .custom<string[]>(
        (v) =>
          Array.isArray(v) && v.length > 0 && v.every((u) => typeof u === 'string' && isHttpUrl(u)),
        { error: 'must be a non-empty array of http(s) URLs' },
      )
      .optional(),
    toolPinning: toolPinningSchema.optional(),
    approvedToolsHash: approvedToolsHashSchema.optional(),
  })
  // `when`: also when another field is bad, so every problem is reported at once.
  .refine((e) => transportOf(e) !== 'stdio' || e.command !== undefined, {
    path: ['command'],
    error: 'must be a non-empty string',
    when: isObjectPayload,
  })
  .refine((e) => transportOf(e) !== 'http' || e.url !== undefined, {
    path: ['url'],
    error: 'must be an http(s) URL',
    when: isObjectPayload,
  })
  .refine((e) => transportOf(e) !== undefined || e.type !== undefined, {
    path: ['type'],
    error: `must be "stdio", "http", "streamable-http" or "sse" (or give "command" or "url")`,
    when: isObjectPayload,
  });

export type ServerEntry = z.output<typeof serverEntrySchema>;

/** `stdio` or `http` (`sse` is `http` here) from `type`, else from `command` / `url`. */
function transportOf(entry: Partial<Record<'type' | 'command' | 'url', unknown>>) {
  const type =
    entry.type ??
    (entry.command !== undefined ? 'stdio' : entry.url !== undefined ? 'http' : undefined);
  if (type === 'stdio') return 'stdio';
  return typeof type === 'string' && (TYPES as readonly string[]).includes(type)
    ? 'http'
    : undefined;
}

function toDefinition(slug: string, entry: ServerEntry, baseDir: string): ServerDefinition {
  const inFolder = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const base = {
    id: slug,
    slug,
    team: entry.team,
    enabled: entry.enabled,
    ...(entry.description !== undefined ? { description: entry.description } : {}),
    ...(entry.timeout !== undefined ? { timeoutMs: entry.timeout } : {}),
    ...(entry.toolPinning !== undefined ? { toolPinning: entry.toolPinning } : {}),
    ...(entry.approvedToolsHash !== undefined
      ? { approvedToolsHash: entry.approvedToolsHash }
      : {}),
  };
  if (transportOf(entry) === 'stdio') {
    return {
      ...base,
      transport: 'stdio',
      command: entry.command ?? '',
      args: entry.args,
      env: entry.env,
      ...(entry.cwd !== undefined ? { cwd: inFolder(entry.cwd) } : {}),
      ...(entry.network !== undefined ? { network: entry.network } : {}),
      ...(entry.mounts !== undefined
        ? { mounts: entry.mounts.map((m) => ({ path: inFolder(m.path), writable: m.writable })) }
        : {}),
      secrets: Object.values(entry.env).filter((v) => v.length >= 4),
    };
  }
  return {
    ...base,
    transport: entry.type === 'sse' ? 'sse' : 'http',
    url: new URL(entry.url ?? '').toString(),
    ...(entry.urls !== undefined ? { urls: instanceUrls(entry.url ?? '', entry.urls) } : {}),
    headers: entry.headers,
    secrets: Object.values(entry.headers).filter((v) => v.length >= 4),
  };
}

/** Every instance of a pool, `url` first, without duplicates. */
function instanceUrls(url: string, urls: readonly string[]): string[] {
  return [...new Set([url, ...urls].map((u) => new URL(u).toString()))];
}

/** `mcpServers` (or VS Code's `servers`): the entries keyed by server slug. */
const serverMapSchema = z.record(z.string(), z.unknown(), {
  error: '"mcpServers" must be an object keyed by server slug',
});

/** Parses the Claude Desktop / Cursor / VS Code format (`mcpServers` or `servers`). */
export function parseServerConfig(text: string, source: string): ServerDefinition[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ServerConfigError(source, [`not valid JSON: ${(err as Error).message}`]);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new ServerConfigError(source, ['the top level must be a JSON object']);
  const top = doc as Record<string, unknown>;
  const map = top.mcpServers ?? top.servers;
  if (map === undefined)
    throw new ServerConfigError(source, ['no "mcpServers" (or "servers") object']);
  const servers = serverMapSchema.safeParse(map);
  if (!servers.success)
    throw new ServerConfigError(
      source,
      servers.error.issues.map((i) => i.message),
    );
  const problems: string[] = [];
  const baseDir = dirname(source);
  const defs: ServerDefinition[] = [];
  for (const [slug, raw] of Object.entries(servers.data)) {
    const at = `mcpServers.${slug}`;
    if (!SLUG_PATTERN.test(slug))
      problems.push(`${at}: the key is the server slug and must match ${SLUG_PATTERN.source}`);
    const entry = serverEntrySchema.safeParse(raw, { error: issueMessages });
    if (!entry.success) problems.push(...describeIssues(entry.error.issues, at));
    else if (problems.length === 0) defs.push(toDefinition(slug, entry.data, baseDir));
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
