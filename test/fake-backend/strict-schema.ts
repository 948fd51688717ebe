/**
 * A tiny strict validator for the fake backend. Unlike the real backend (which silently drops
 * unknown fields), it reports every unknown, missing or mistyped field, so a drifted field name
 * fails a test instead of vanishing.
 */
export type Schema =
  | {
      readonly kind: 'string';
      readonly pattern?: RegExp;
      readonly oneOf?: readonly string[];
      readonly iso?: boolean;
    }
  | {
      readonly kind: 'number';
      readonly integer?: boolean;
      readonly min?: number;
      readonly max?: number;
    }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'any' }
  | { readonly kind: 'nullable'; readonly of: Schema }
  | { readonly kind: 'array'; readonly items: Schema; readonly min?: number; readonly max?: number }
  | { readonly kind: 'record'; readonly values: Schema }
  | {
      readonly kind: 'object';
      readonly required: Readonly<Record<string, Schema>>;
      readonly optional?: Readonly<Record<string, Schema>>;
    };

export const str = (opts: Omit<Extract<Schema, { kind: 'string' }>, 'kind'> = {}): Schema => ({
  kind: 'string',
  ...opts,
});
export const num = (opts: Omit<Extract<Schema, { kind: 'number' }>, 'kind'> = {}): Schema => ({
  kind: 'number',
  ...opts,
});
export const int = (
  opts: Omit<Extract<Schema, { kind: 'number' }>, 'kind' | 'integer'> = {},
): Schema => ({
  kind: 'number',
  integer: true,
  ...opts,
});
export const bool: Schema = { kind: 'boolean' };
export const any: Schema = { kind: 'any' };
export const nullable = (of: Schema): Schema => ({ kind: 'nullable', of });
export const arr = (items: Schema, opts: { min?: number; max?: number } = {}): Schema => ({
  kind: 'array',
  items,
  ...opts,
});
export const record = (values: Schema): Schema => ({ kind: 'record', values });
export const obj = (
  required: Record<string, Schema>,
  optional: Record<string, Schema> = {},
): Schema => ({
  kind: 'object',
  required,
  optional,
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Every problem, each naming its path (e.g. `body.system_metrics.cpu_usage_percnt: unknown field`). */
export function validate(schema: Schema, value: unknown, path = 'body'): string[] {
  switch (schema.kind) {
    case 'any':
      return value === undefined ? [`${path}: missing`] : [];
    case 'nullable':
      return value === null ? [] : validate(schema.of, value, path);
    case 'string': {
      if (typeof value !== 'string') return [`${path}: must be a string`];
      if (schema.pattern && !schema.pattern.test(value))
        return [`${path}: must match ${String(schema.pattern)}`];
      if (schema.oneOf && !schema.oneOf.includes(value))
        return [`${path}: must be one of ${schema.oneOf.join('|')}`];
      if (schema.iso && !(ISO.test(value) && !Number.isNaN(Date.parse(value))))
        return [`${path}: must be an ISO 8601 time`];
      return [];
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return [`${path}: must be a number`];
      if (schema.integer && !Number.isInteger(value)) return [`${path}: must be an integer`];
      if (schema.min !== undefined && value < schema.min)
        return [`${path}: must be >= ${schema.min}`];
      if (schema.max !== undefined && value > schema.max)
        return [`${path}: must be <= ${schema.max}`];
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: must be a boolean`];
    case 'array': {
      if (!Array.isArray(value)) return [`${path}: must be an array`];
      const problems: string[] = [];
      if (schema.min !== undefined && value.length < schema.min)
        problems.push(`${path}: needs at least ${schema.min} items`);
      if (schema.max !== undefined && value.length > schema.max)
        problems.push(`${path}: takes at most ${schema.max} items`);
      value.forEach((item, i) => problems.push(...validate(schema.items, item, `${path}[${i}]`)));
      return problems;
    }
    case 'record': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${path}: must be an object`];
      return Object.entries(value).flatMap(([k, v]) => validate(schema.values, v, `${path}.${k}`));
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${path}: must be an object`];
      const doc = value as Record<string, unknown>;
      const optional = schema.optional ?? {};
      const problems: string[] = [];
      for (const [k, s] of Object.entries(schema.required)) {
        if (doc[k] === undefined) problems.push(`${path}.${k}: missing`);
        else problems.push(...validate(s, doc[k], `${path}.${k}`));
      }
      for (const [k, v] of Object.entries(doc)) {
        if (k in schema.required) continue;
        if (k in optional) {
          if (v !== undefined) problems.push(...validate(optional[k], v, `${path}.${k}`));
        } else {
          problems.push(`${path}.${k}: unknown field`);
        }
      }
      return problems;
    }
  }
}
