import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A parsed YAML mapping. Manifests are read structurally, so values stay `unknown` until checked. */
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `path` (object keys), or undefined when any step is missing. */
export function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

export const objAt = (v: unknown, ...path: string[]): Obj | undefined => {
  const r = at(v, ...path);
  return isObj(r) ? r : undefined;
};

export const listAt = (v: unknown, ...path: string[]): unknown[] => {
  const r = at(v, ...path);
  return Array.isArray(r) ? (r as unknown[]) : [];
};

export const strAt = (v: unknown, ...path: string[]): string | undefined => {
  const r = at(v, ...path);
  return typeof r === 'string' ? r : undefined;
};

export interface YamlFile {
  readonly path: string;
  /** Relative to the folder that was listed, for messages. */
  readonly name: string;
  readonly docs: unknown[];
  readonly errors: string[];
}

/** Every `.yaml`/`.yml` file under `dir`, parsed (all documents of each). */
export function readYamlTree(dir: string): YamlFile[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry)) files.push(p);
    }
  };
  walk(dir);
  return files.map((path) => {
    const parsed = parseAllDocuments(readFileSync(path, 'utf8'));
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return {
      path,
      name: relative(dir, path),
      docs: list.map((d) => d.toJS() as unknown),
      errors: list.flatMap((d) => [...d.errors, ...d.warnings].map((e) => e.message)),
    };
  });
}

/** Parses a multi-document YAML stream (kustomize output); throws on any error. */
export function parseStream(text: string): Obj[] {
  const parsed = parseAllDocuments(text);
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const errors = list.flatMap((d) => d.errors.map((e) => e.message));
  if (errors.length > 0) throw new Error(`kustomize output does not parse: ${errors.join('; ')}`);
  return list.map((d) => d.toJS() as unknown).filter(isObj);
}
