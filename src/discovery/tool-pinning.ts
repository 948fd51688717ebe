import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { stableJson } from '../config/server-definition.js';

/** `warn`: serve the new definitions and flag them; `hold`: serve pinned definitions only. */
export type ToolPinningPolicy = 'warn' | 'hold';

/** How one tool differs from its pin (docs/operations.md "Pinned tool definitions"). */
export type ToolChangeKind = 'changed' | 'added' | 'removed';

export interface ToolChange {
  readonly tool: string;
  readonly kind: ToolChangeKind;
  /** The pinned hash; absent for an added tool. */
  readonly pinned_hash?: string;
  /** The hash of what the server lists now; absent for a removed tool. */
  readonly current_hash?: string;
  /** Which parts differ (changed tools only): description, input_schema, output_schema, annotations. */
  readonly fields?: readonly string[];
  /** When this exact difference was first seen (ISO time). */
  readonly since: string;
}

/** The hashed parts of a tool: what an agent reads and what it sends. */
function pinnedParts(tool: Tool): Record<string, unknown> {
  return {
    name: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema,
    output_schema: tool.outputSchema,
    annotations: tool.annotations,
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** sha256 of the tool's name, description, input and output schema and annotations (keys sorted). */
export function toolHash(tool: Tool): string {
  return sha256(stableJson(pinnedParts(tool)));
}

/** sha256 over the sorted `name:hash` lines of a tool set: `approvedToolsHash` names one. */
export function toolSetHash(hashes: ReadonlyMap<string, string>): string {
  return sha256(
    [...hashes]
      .map(([name, hash]) => `${name}:${hash}`)
      .sort()
      .join('\n'),
  );
}

/** One pinned tool: its hash and the parts hashed (kept to show a field-level diff). */
export interface ToolPin {
  readonly hash: string;
  readonly parts: Record<string, unknown>;
}

export function pinOf(tool: Tool): ToolPin {
  const parts = pinnedParts(tool);
  return { hash: sha256(stableJson(parts)), parts };
}

/**
 * The differences between the pins and a listing. `previous` are the changes known before (their
 * `since` is kept while the same difference persists); `now` stamps the new ones.
 */
export function diffAgainstPins(opts: {
  pins: ReadonlyMap<string, ToolPin>;
  tools: readonly Tool[];
  previous: readonly ToolChange[];
  now: string;
}): ToolChange[] {
  const known = new Map(opts.previous.map((c) => [`${c.tool}\0${c.kind}\0${c.current_hash}`, c]));
  const stamp = (change: Omit<ToolChange, 'since'>): ToolChange => ({
    ...change,
    since: known.get(`${change.tool}\0${change.kind}\0${change.current_hash}`)?.since ?? opts.now,
  });
  const changes: ToolChange[] = [];
  const listed = new Set<string>();
  for (const tool of opts.tools) {
    listed.add(tool.name);
    const current = pinOf(tool);
    const pin = opts.pins.get(tool.name);
    if (!pin) {
      changes.push(stamp({ tool: tool.name, kind: 'added', current_hash: current.hash }));
    } else if (pin.hash !== current.hash) {
      const fields = Object.keys(current.parts).filter(
        (k) => stableJson(current.parts[k]) !== stableJson(pin.parts[k]),
      );
      changes.push(
        stamp({
          tool: tool.name,
          kind: 'changed',
          pinned_hash: pin.hash,
          current_hash: current.hash,
          fields,
        }),
      );
    }
  }
  for (const [name, pin] of opts.pins) {
    if (!listed.has(name))
      changes.push(stamp({ tool: name, kind: 'removed', pinned_hash: pin.hash }));
  }
  return changes.sort((a, b) => (a.tool < b.tool ? -1 : a.tool > b.tool ? 1 : 0));
}
