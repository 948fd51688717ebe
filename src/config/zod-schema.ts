import { z } from 'zod';

/**
 * Shared zod plumbing for the schemas that describe what the satellite reads: the server file
 * (src/config/mcp-server-file.ts) and the backend contract (src/backend/backend-wire.schema.ts).
 * Schemas are written lenient (unknown fields ignored, `.catch()` where a bad value is recovered);
 * `strictSchema` derives the strict form the fake backend checks with, so there is one copy.
 */

/** Messages that name what was expected, never the value (it may be a secret). */
export const issueMessages: z.core.$ZodErrorMap = (issue) => {
  const absent = issue.input === undefined;
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && absent) return 'missing';
  if (issue.code === 'invalid_type') return `must be ${article(issue.expected)}`;
  if (issue.code === 'invalid_value')
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join('|')}`;
  if (issue.code === 'invalid_format') {
    if (issue.format === 'regex' && issue.pattern) return `must match ${issue.pattern}`;
    return issue.format === 'datetime' ? 'must be an ISO 8601 time' : `must be ${issue.format}`;
  }
  if (issue.code === 'too_small') {
    if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} items`;
    if (issue.origin === 'string')
      return issue.minimum === 1 ? 'must be a non-empty string' : 'is too short';
    return `must be >= ${String(issue.minimum)}`;
  }
  if (issue.code === 'too_big') {
    if (issue.origin === 'array') return `takes at most ${String(issue.maximum)} items`;
    return `must be <= ${String(issue.maximum)}`;
  }
  return undefined;
};

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'record' || expected === 'object') return 'an object';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/**
 * One line per problem, each naming its path under `root`. `colon` gives `root.a.b: missing`
 * (the fake backend's answers); `sentence` gives `root.a.b must be a string` (operator messages).
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  root: string,
  style: 'colon' | 'sentence' = 'sentence',
): string[] {
  return issues.flatMap((issue) => {
    const at = pathText(root, issue.path);
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => `${pathText(at, [k])}: unknown field`);
    if (issue.code === 'invalid_union') {
      // The branch whose shape matched (its problems lie deeper) explains better than "no match".
      const deep = issue.errors.filter((errs) => errs.every((e) => e.path.length > 0));
      if (deep.length === 1) return describeIssues(deep[0] ?? [], at, style);
    }
    const message = issue.message;
    if (!at) return [message];
    if (style === 'colon') return [`${at}: ${message}`];
    if (message === 'missing') return [`${at} is missing`];
    return [/^(must|is|needs|takes|or) /.test(message) ? `${at} ${message}` : `${at}: ${message}`];
  });
}

function pathText(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    root,
  );
}

/** Parses with the messages above; the problems are described under `root`. */
export function parseOrProblems<T extends z.ZodType>(
  schema: T,
  value: unknown,
  root: string,
  style: 'colon' | 'sentence' = 'sentence',
): { ok: true; data: z.output<T> } | { ok: false; problems: string[] } {
  const result = schema.safeParse(value, { error: issueMessages });
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, problems: describeIssues(result.error.issues, root, style) };
}

/** An absolute http or https URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** A non-empty string. */
export const text = (): z.ZodString => z.string().min(1);

/** Lenient: absent, or left out when malformed. `strictSchema` refuses a malformed one. */
export const maybe = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

const SKIPPED = Symbol('skipped');

/**
 * An array whose malformed items are left out (the caller may count them by length);
 * `strictSchema` refuses such an item instead.
 */
export function skipInvalid<T extends z.ZodType>(item: T) {
  return z
    .array(item.catch(() => SKIPPED as never))
    .transform((items) => items.filter((i): i is z.output<T> => i !== SKIPPED));
}

type AnyDef = z.core.$ZodTypeDef & Record<string, unknown>;

/**
 * The strict form of a lenient schema: every object refuses unknown fields and every `.catch()`
 * fallback is removed, so what the satellite would recover from is refused. Checks and
 * transforms are kept. Throws on a zod type it does not know how to walk, rather than leaving a
 * part lenient.
 */
export function strictSchema<T extends z.ZodType>(schema: T): T {
  return strictify(schema) as T;
}

const walk = (s: unknown): z.ZodType => strictify(s as z.ZodType);

/** How each zod type with inner schemas is made strict: the def fields to replace. */
const WALKERS: Readonly<Record<string, (def: AnyDef) => Record<string, unknown>>> = {
  object: (def) => ({
    shape: Object.fromEntries(
      Object.entries(def.shape as Record<string, unknown>).map(([k, v]) => [k, walk(v)]),
    ),
    catchall: z.never(),
  }),
  array: (def) => ({ element: walk(def.element) }),
  union: (def) => ({ options: (def.options as unknown[]).map(walk) }),
  record: (def) => ({ valueType: walk(def.valueType) }),
  pipe: (def) => ({ in: walk(def.in), out: walk(def.out) }),
  ...Object.fromEntries(
    ['optional', 'nullable', 'default', 'prefault', 'readonly', 'nonoptional'].map((type) => [
      type,
      (def: AnyDef) => ({ innerType: walk(def.innerType) }),
    ]),
  ),
};

/** Types without inner schemas: kept as they are. */
const LEAVES = new Set([
  'string',
  'number',
  'int',
  'boolean',
  'bigint',
  'symbol',
  'null',
  'undefined',
  'void',
  'never',
  'any',
  'unknown',
  'date',
  'enum',
  'literal',
  'nan',
  'template_literal',
  'transform',
  'custom',
  'file',
  'success',
]);

function strictify(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as AnyDef;
  const type: string = def.type;
  if (type === 'catch') return walk(def.innerType);
  if (type === 'lazy') return z.lazy(() => walk((def.getter as () => unknown)()));
  const walker = WALKERS[type];
  if (walker) return schema.clone({ ...def, ...walker(def) });
  if (LEAVES.has(type)) return schema;
  throw new Error(`strictSchema: zod type "${type}" is not supported`);
}
