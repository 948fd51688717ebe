import type { BackendCommand } from './backend-wire.types.js';

/** A command whose payload lacks or mistypes a field; the message names the field. */
export class InvalidCommandPayloadError extends Error {
  constructor(type: string, problem: string) {
    super(`${type} command: ${problem}`);
    this.name = 'InvalidCommandPayloadError';
  }
}

/** Typed reads of a command's payload, failing with a message the backend can show. */
export class CommandPayload {
  private readonly raw: Readonly<Record<string, unknown>>;
  private readonly type: string;

  constructor(command: BackendCommand) {
    this.raw = command.payload;
    this.type = command.command_type;
  }

  string(name: string): string {
    const v = this.raw[name];
    if (typeof v !== 'string' || v === '')
      throw this.invalid(`payload.${name} must be a non-empty string`);
    return v;
  }

  optionalString(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw this.invalid(`payload.${name} must be a string`);
    return v;
  }

  boolean(name: string): boolean {
    const v = this.raw[name];
    if (typeof v !== 'boolean') throw this.invalid(`payload.${name} must be true or false`);
    return v;
  }

  stringArray(name: string): string[] {
    const v = this.raw[name] ?? [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw this.invalid(`payload.${name} must be an array of strings`);
    return v;
  }

  stringMap(name: string): Record<string, string> {
    const v = this.raw[name] ?? {};
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw this.invalid(`payload.${name} must be an object of strings`);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string') throw this.invalid(`payload.${name}.${k} must be a string`);
      out[k] = x;
    }
    return out;
  }

  /** Either field names the installation; at least one is required. */
  installationRef(): { installation_id?: string; installation_name?: string } {
    const id = this.optionalString('installation_id');
    const name = this.optionalString('installation_name');
    if (!id && !name)
      throw this.invalid('payload.installation_id or payload.installation_name is required');
    return { ...(id ? { installation_id: id } : {}), ...(name ? { installation_name: name } : {}) };
  }

  private invalid(problem: string): InvalidCommandPayloadError {
    return new InvalidCommandPayloadError(this.type, problem);
  }
}
