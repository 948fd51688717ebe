import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { isObj, listAt, type Obj, parseStream, strAt } from './yaml-docs.js';

export interface Kustomize {
  /** e.g. "kubectl kustomize (kustomize v5.5.0)". */
  readonly label: string;
  build(dir: string): Obj[];
}

/** Components (kustomize v3.7+) and `labels` (v4.1+) need kustomize 4 or newer. */
const MIN_MAJOR = 4;

/**
 * Finds a kustomize that renders these manifests: a standalone `kustomize`, else the one built into
 * `kubectl`. Debian 12's `kubernetes-client` (kubectl 1.20, kustomize v2) is too old for components.
 */
export function probeKustomize(): { kustomize?: Kustomize; reason: string } {
  const reasons: string[] = [];
  const standalone = spawnSync('kustomize', ['version'], { encoding: 'utf8' });
  if (standalone.status === 0) {
    const version = /v?(\d+)\.\d+\.\d+/.exec(standalone.stdout);
    if (version && Number(version[1]) >= MIN_MAJOR) {
      return { kustomize: tool(`kustomize ${version[0]}`, 'kustomize', ['build']), reason: '' };
    }
    reasons.push(`kustomize ${standalone.stdout.trim()} is older than v${MIN_MAJOR}`);
  } else reasons.push('kustomize is not installed');
  const kubectl = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (kubectl.status === 0) {
    const info = JSON.parse(kubectl.stdout) as { kustomizeVersion?: string };
    const version = /v?(\d+)\.\d+\.\d+/.exec(info.kustomizeVersion ?? '');
    if (version && Number(version[1]) >= MIN_MAJOR) {
      return {
        kustomize: tool(`kubectl kustomize (kustomize ${version[0]})`, 'kubectl', ['kustomize']),
        reason: '',
      };
    }
    reasons.push(
      `kubectl embeds kustomize ${info.kustomizeVersion ?? '(unknown, pre-v4)'}, older than v${MIN_MAJOR}`,
    );
  } else reasons.push('kubectl is not installed');
  return { reason: reasons.join('; ') };
}

function tool(label: string, command: string, args: string[]): Kustomize {
  return {
    label,
    build: (dir) =>
      parseStream(
        execFileSync(command, [...args, dir], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ),
  };
}

/**
 * Renders `target` (an overlay) with `components` added, through a throw-away kustomization.
 * Kustomize accepts only relative paths to other roots, so the references are made relative.
 */
export function buildWithComponents(
  k: Kustomize,
  target: string,
  components: readonly string[],
): Obj[] {
  const dir = mkdtempSync(join(tmpdir(), 'satellite-kustomize-'));
  try {
    const rel = (p: string) => relative(dir, p);
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      JSON.stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [rel(target)],
        components: components.map(rel),
      }),
    );
    return k.build(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Kustomization {
  readonly dir: string;
  readonly kind: string;
  readonly doc: Obj;
}

export function readKustomization(dir: string): Kustomization {
  const doc = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as unknown;
  if (!isObj(doc)) throw new Error(`${dir}/kustomization.yaml is not a mapping`);
  return { dir, kind: strAt(doc, 'kind') ?? 'Kustomization', doc };
}

export interface Reference {
  readonly field: string;
  readonly path: string;
  /** What must be at the path: a file, or a folder with a kustomization of that kind. */
  readonly expect: 'file' | 'Kustomization' | 'Component' | 'file-or-Kustomization';
}

/** Every path a kustomization refers to, with what must be there. */
export function references(k: Kustomization): Reference[] {
  const refs: Reference[] = [];
  const add = (field: string, p: unknown, expect: Reference['expect']) => {
    if (typeof p === 'string' && !/^(https?:|git@|github\.com\/)/.test(p))
      refs.push({ field, path: resolve(k.dir, p), expect });
  };
  for (const r of listAt(k.doc, 'resources')) add('resources', r, 'file-or-Kustomization');
  for (const c of listAt(k.doc, 'components')) add('components', c, 'Component');
  for (const p of listAt(k.doc, 'patches')) add('patches[].path', strAt(p, 'path'), 'file');
  for (const p of listAt(k.doc, 'patchesStrategicMerge'))
    if (!String(p).includes('\n')) add('patchesStrategicMerge', p, 'file');
  for (const p of listAt(k.doc, 'patchesJson6902'))
    add('patchesJson6902[].path', strAt(p, 'path'), 'file');
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    for (const g of listAt(k.doc, field)) {
      for (const f of listAt(g, 'files'))
        add(`${field}[].files`, String(f).replace(/^[^=]*=/, ''), 'file');
      for (const e of listAt(g, 'envs')) add(`${field}[].envs`, e, 'file');
    }
  }
  return refs;
}

/** Why a reference does not hold, or undefined when it does. */
export function checkReference(ref: Reference): string | undefined {
  if (!existsSync(ref.path)) return 'does not exist';
  const isDir = statSync(ref.path).isDirectory();
  if (ref.expect === 'file') return isDir ? 'is a folder, a file was expected' : undefined;
  if (!isDir)
    return ref.expect === 'file-or-Kustomization'
      ? undefined
      : `is a file, a folder with a ${ref.expect} was expected`;
  if (!existsSync(join(ref.path, 'kustomization.yaml')))
    return 'is a folder without kustomization.yaml';
  const kind = readKustomization(ref.path).kind;
  const want = ref.expect === 'Component' ? 'Component' : 'Kustomization';
  return kind === want ? undefined : `is a ${kind}, a ${want} was expected`;
}

/**
 * The ConfigMaps and Secrets a kustomization generates, as plain manifests (names without the hash
 * suffix): lets the checks run on the raw files when no kustomize is installed.
 */
export function generatedDocs(k: Kustomization): Obj[] {
  const docs: Obj[] = [];
  for (const [field, kind] of [
    ['configMapGenerator', 'ConfigMap'],
    ['secretGenerator', 'Secret'],
  ] as const) {
    for (const g of listAt(k.doc, field)) {
      const data: Record<string, string> = {};
      const literal = (line: string) => {
        const i = line.indexOf('=');
        if (i > 0) data[line.slice(0, i)] = line.slice(i + 1);
      };
      for (const l of listAt(g, 'literals')) literal(String(l));
      for (const e of listAt(g, 'envs')) {
        for (const line of readFileSync(resolve(k.dir, String(e)), 'utf8').split('\n'))
          if (!/^\s*(#|$)/.test(line)) literal(line.trim());
      }
      for (const f of listAt(g, 'files')) {
        const [key, file] = String(f).includes('=')
          ? String(f).split('=', 2)
          : [basename(String(f)), String(f)];
        data[key] = readFileSync(resolve(k.dir, file), 'utf8');
      }
      const name = strAt(g, 'name') ?? '';
      docs.push({
        apiVersion: 'v1',
        kind,
        metadata: { name },
        [kind === 'Secret' ? 'stringData' : 'data']: data,
      });
    }
  }
  return docs;
}
