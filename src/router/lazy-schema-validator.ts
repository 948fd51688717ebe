import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type {
  JsonSchemaType,
  JsonSchemaValidator,
  jsonSchemaValidator,
} from '@modelcontextprotocol/sdk/validation/types.js';

/**
 * The JSON Schema validator of one session's SDK `Server`, made on first use. Left to itself the
 * SDK builds an Ajv instance with every format per `Server`, that is per session, though a server
 * uses it only to check a client's answer to a form elicitation (`elicitInput`); most sessions
 * never elicit, so most sessions now never pay for one (docs/benchmarks.md "Memory"). It stays
 * one per session, not one for all: Ajv caches every schema it compiles, and elicitation schemas
 * come from upstreams, so a shared instance would grow for as long as the process lives.
 */
export class LazySchemaValidator implements jsonSchemaValidator {
  private validator?: AjvJsonSchemaValidator;

  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    return (this.validator ??= new AjvJsonSchemaValidator()).getValidator<T>(schema);
  }
}
