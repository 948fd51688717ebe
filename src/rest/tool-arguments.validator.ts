import { Injectable, Logger } from '@nestjs/common';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import { type ArgumentError, InvalidArgumentsError } from './rest.errors.js';

type AjvLike = Ajv | Ajv2019 | Ajv2020;
type FormatsPlugin = (ajv: AjvLike) => AjvLike;
const addFormats = ((formats as unknown as { default?: FormatsPlugin }).default ??
  formats) as unknown as FormatsPlugin;

/** At most this many schema errors in one answer; a huge wrong body must not make a huge answer. */
const MAX_ERRORS = 20;

/**
 * Validates the arguments of a REST call against the tool's input schema before anything reaches
 * the upstream (docs/rest.md "Calling a tool"). A schema is compiled once per tool definition: the
 * compiled function is cached on the schema object, which the catalog replaces when the server
 * lists its tools anew, so a changed definition is compiled again and an old one is collected.
 * The dialect follows `$schema`: 2020-12 (MCP's default, also for a schema without `$schema`),
 * 2019-09 or draft-07. A schema the validator cannot compile is not ours to refuse: the call goes
 * to the upstream, which validates it itself, and the problem is logged once per definition.
 */
@Injectable()
export class ToolArgumentsValidator {
  private readonly logger = new Logger(ToolArgumentsValidator.name);
  private readonly compiled = new WeakMap<object, ValidateFunction | null>();
  private readonly draft7 = this.make(new Ajv(OPTIONS));
  private readonly draft2019 = this.make(new Ajv2019(OPTIONS));
  private readonly draft2020 = this.make(new Ajv2020(OPTIONS));

  /** Throws InvalidArgumentsError when `args` do not match the tool's input schema. */
  validate(entry: CatalogEntry, args: Record<string, unknown>): void {
    const validate = this.validatorOf(entry);
    if (!validate || validate(args)) return;
    throw new InvalidArgumentsError(
      entry.path,
      (validate.errors ?? []).slice(0, MAX_ERRORS).map(toArgumentError),
    );
  }

  /** Compiles (once) the validator of a tool's input schema; null when it cannot be compiled. */
  validatorOf(entry: CatalogEntry): ValidateFunction | undefined {
    const schema = entry.tool.inputSchema as object;
    let validate = this.compiled.get(schema);
    if (validate === undefined) {
      try {
        const ajv = this.dialectOf(schema);
        const target = withoutId(schema);
        validate = ajv.compile(target);
        // Ajv keeps every compiled schema in its own cache; this class's WeakMap is the cache.
        ajv.removeSchema(target);
      } catch (err) {
        this.logger.warn(
          `input schema of ${entry.path} does not compile (${(err as Error).message}); its calls go to the server unvalidated`,
        );
        validate = null;
      }
      this.compiled.set(schema, validate);
    }
    return validate ?? undefined;
  }

  private dialectOf(schema: object): AjvLike {
    const dialect = (schema as { $schema?: unknown }).$schema;
    if (typeof dialect !== 'string') return this.draft2020;
    if (dialect.includes('2019-09')) return this.draft2019;
    if (/draft-0[4-7]/.test(dialect)) return this.draft7;
    return this.draft2020;
  }

  private make<T extends AjvLike>(ajv: T): T {
    addFormats(ajv);
    return ajv;
  }
}

const OPTIONS = {
  // Upstream schemas use keywords and formats of their own; unknown ones are annotations.
  strict: false,
  allErrors: true,
  validateFormats: true,
  // An upstream's own `$schema` (draft-04, -06) is read as draft-07 rather than refused.
  validateSchema: false,
} as const;

/**
 * Two servers may give two schemas the same `$id`: an Ajv instance refuses the second one, so the
 * ids are left out (references inside a schema are by JSON Pointer in practice).
 */
function withoutId(schema: object): object {
  if (!('$id' in schema)) return schema;
  const { $id: _id, ...rest } = schema as Record<string, unknown>;
  return rest;
}

function toArgumentError(e: ErrorObject): ArgumentError {
  // `required` and `additionalProperties` errors point at the object: name the property too.
  const params = e.params as Record<string, unknown>;
  const property =
    (e.keyword === 'required' && typeof params.missingProperty === 'string'
      ? params.missingProperty
      : undefined) ??
    (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string'
      ? params.additionalProperty
      : undefined);
  return {
    pointer:
      property !== undefined ? `${e.instancePath}/${escapePointer(property)}` : e.instancePath,
    keyword: e.keyword,
    message: e.message ?? 'is invalid',
    params,
  };
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
