import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  PaginatedResultSchema,
  ResultSchema,
  type Tool,
  ToolSchema,
} from '@modelcontextprotocol/sdk/types.js';

/** A tool of an upstream's `tools/list` that was left out, and why. */
export interface SkippedTool {
  /** Position in the whole list (all pages), from 0. */
  readonly index: number;
  /** The tool's name when it had a usable one. */
  readonly name?: string;
  readonly reason: string;
}

export interface ToolListing {
  readonly tools: Tool[];
  readonly skipped: SkippedTool[];
}

/** The request's result schema: accept whatever came back; each part is checked below. */
const AnyResult = ResultSchema.catch((ctx) => ctx.input as Record<string, unknown>);

/** How often `null`s are dropped and the value checked again (nested nulls surface one level at a time). */
const MAX_REPAIRS = 4;

interface ParseSchema<T> {
  safeParse(value: unknown):
    | { success: true; data: T }
    | {
        success: false;
        error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> };
      };
}

/**
 * `tools/list`, all pages, read leniently: the SDK's `listTools` checks the whole answer against
 * `ListToolsResultSchema`, so one tool with `"annotations": null` loses the server every tool.
 * Here the answer is taken as it comes and each tool is checked on its own against the SDK's
 * `ToolSchema`: a `null` where the schema wants an optional value is dropped (`null` is how many
 * serializers write "absent"), a tool that is still invalid is skipped and reported, the rest are
 * kept. A page whose envelope is broken (no `tools` array, a bad `nextCursor`) still fails.
 */
export async function listToolsLeniently(
  client: Client,
  options?: RequestOptions,
): Promise<ToolListing> {
  const tools: Tool[] = [];
  const skipped: SkippedTool[] = [];
  let cursor: string | undefined;
  let index = 0;
  do {
    const raw = await client.request(
      { method: 'tools/list', params: cursor ? { cursor } : {} },
      AnyResult,
      options,
    );
    const page = parseToolsPage(raw, index);
    tools.push(...page.tools);
    skipped.push(...page.skipped);
    index += page.count;
    cursor = page.nextCursor;
  } while (cursor);
  return { tools, skipped };
}

/** One `tools/list` result; `firstIndex` is the position of its first tool in the whole list. */
export function parseToolsPage(
  raw: unknown,
  firstIndex = 0,
): ToolListing & { nextCursor?: string; count: number } {
  if (!isObject(raw)) throw new Error('tools/list answered with something that is not an object');
  const { tools: rawTools, ...rest } = raw;
  if (!Array.isArray(rawTools)) throw new Error('tools/list answer has no "tools" array');
  const envelope = parseRepairingNulls(PaginatedResultSchema, rest);
  if (!envelope.ok) throw new Error(`tools/list answer is invalid: ${envelope.reason}`);
  const tools: Tool[] = [];
  const skipped: SkippedTool[] = [];
  rawTools.forEach((rawTool: unknown, i) => {
    const parsed = parseRepairingNulls(ToolSchema, rawTool);
    if (parsed.ok) {
      tools.push(parsed.data);
      return;
    }
    const name = isObject(rawTool) && typeof rawTool.name === 'string' ? rawTool.name : undefined;
    skipped.push({
      index: firstIndex + i,
      ...(name !== undefined ? { name } : {}),
      reason: parsed.reason,
    });
  });
  return {
    tools,
    skipped,
    count: rawTools.length,
    ...(envelope.data.nextCursor ? { nextCursor: envelope.data.nextCursor } : {}),
  };
}

/**
 * Checks `value` against `schema`; where the schema rejects a `null` (a property of an object),
 * the property is dropped and the value checked again. A `null` the schema accepts (`"default":
 * null` inside an input schema) is left alone, and a required field that is `null` still fails.
 */
function parseRepairingNulls<T>(
  schema: ParseSchema<T>,
  value: unknown,
): { ok: true; data: T } | { ok: false; reason: string } {
  let current = value;
  for (let round = 0; ; round++) {
    const result = schema.safeParse(current);
    if (result.success) return { ok: true, data: result.data };
    const nullPaths = result.error.issues
      .map((issue) => issue.path)
      .filter((path) => path.length > 0 && valueAt(current, path) === null);
    if (nullPaths.length === 0 || round >= MAX_REPAIRS) {
      return { ok: false, reason: describeIssues(result.error.issues) };
    }
    current = structuredClone(current);
    for (const path of nullPaths) {
      const parent = valueAt(current, path.slice(0, -1));
      const key = path[path.length - 1];
      if (isObject(parent) && !Array.isArray(parent) && typeof key === 'string') delete parent[key];
      else return { ok: false, reason: describeIssues(result.error.issues) };
    }
  }
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path) {
    if (!isObject(v)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
