import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { ConfigError, loadSatelliteConfig } from '../../../src/config/config.loader.js';
import type { SatelliteConfig } from '../../../src/config/satellite-config.js';

/** A Kubernetes object as parsed; typed access only after `schemaProblems` found none. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly [field: string]: unknown;
}

export const nameOf = (m: Manifest) => `${m.kind}/${m.metadata?.name}`;

/** Every document of a YAML stream; throws on a syntax error or an empty document. */
export function parseManifests(text: string, where: string): Manifest[] {
  return parseAllDocuments(text).map((d, i) => {
    if (d.errors.length > 0)
      throw new Error(`${where}: ${d.errors.map((e) => e.message).join('; ')}`);
    const doc = d.toJS() as Manifest | null;
    if (doc === null || typeof doc !== 'object')
      throw new Error(`${where}: document ${i} is empty`);
    return doc;
  });
}

/** The YAML files under `dir`, parsed. */
export function readManifestTree(dir: string): { path: string; docs: Manifest[] }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => ({
      path: join(dir, f),
      docs: parseManifests(readFileSync(join(dir, f), 'utf8'), f),
    }));
}

type Validating = new (data: object) => { validate(): void };
const MODEL_PACKAGES = ['kubernetes-models', '@kubernetes-models/prometheus-operator'];

/**
 * The schema of `apiVersion`/`kind`: the `kubernetes-models` class (built-in kinds) or one of
 * `@kubernetes-models/prometheus-operator` (ServiceMonitor), with the ajv validator compiled from
 * the Kubernetes OpenAPI schema (or the CRD's), and the module that declares its type.
 */
async function modelOf(doc: Manifest): Promise<{ Model: Validating; module: string } | undefined> {
  for (const pkg of MODEL_PACKAGES) {
    const module = `${pkg}/${doc.apiVersion}/${doc.kind}`;
    const loaded = (await import(module).catch(() => undefined)) as
      Record<string, Validating> | undefined;
    if (loaded?.[doc.kind]) return { Model: loaded[doc.kind], module };
  }
  return undefined;
}

/**
 * Each document checked against its Kubernetes schema: types, required fields and enums by the
 * schema's validator, and unknown fields by `unknownFields` (the Kubernetes OpenAPI schemas do not
 * forbid them; the API server drops them with a warning, or refuses them under strict field
 * validation). A kind without a known schema is a problem too.
 */
export async function schemaProblems(docs: readonly Manifest[]): Promise<string[]> {
  const problems: string[] = [];
  const typed: { doc: Manifest; module: string }[] = [];
  for (const doc of docs) {
    const model = await modelOf(doc);
    if (!model) {
      problems.push(`${nameOf(doc)}: no schema for ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    typed.push({ doc, module: model.module });
    try {
      new model.Model(doc).validate();
    } catch (err) {
      problems.push(`${nameOf(doc)}: ${(err as Error).message}`);
    }
  }
  return [...problems, ...unknownFields(typed)];
}

/**
 * Fields the kind does not have, found by the TypeScript compiler: each document becomes an object
 * literal of the kind's interface (generated from the same schema), and the excess property check
 * names a field that is not in it, at any depth (the compiler may stop at the first one of an
 * object).
 */
function unknownFields(docs: readonly { doc: Manifest; module: string }[]): string[] {
  if (docs.length === 0) return [];
  const file = join(import.meta.dirname, 'manifest-types.generated.ts');
  const source = docs
    .map(
      ({ doc, module }, i) =>
        `import type { I${doc.kind} as T${i} } from '${module}';\nexport const m${i}: T${i} = ${JSON.stringify(doc)};`,
    )
    .join('\n');
  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const { fileExists, readFile } = host;
  host.fileExists = (f) => f === file || fileExists(f);
  host.readFile = (f) => (f === file ? source : readFile(f));
  host.getSourceFile = (f, version) =>
    f === file ? ts.createSourceFile(f, source, version) : parsed(f, version, host);
  const program = ts.createProgram([file], COMPILER_OPTIONS, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .filter((d) => EXCESS_PROPERTY.has(d.code))
    .map((d) => {
      const line = d.file!.getLineAndCharacterOfPosition(d.start!).line;
      return `${nameOf(docs[Math.floor(line / 2)].doc)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
}

/**
 * "Object literal may only specify known properties" (2353), "... Did you mean ...?" (2561); and
 * a type that does not resolve (2305, 2307, 2724), which would make the literal `any` and hide them.
 */
const EXCESS_PROPERTY = new Set([2353, 2561, 2305, 2307, 2724]);
const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2023,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
};
/** The declaration files, parsed once for every check. */
const declarations = new Map<string, ts.SourceFile | undefined>();
function parsed(
  f: string,
  version: ts.ScriptTarget | ts.CreateSourceFileOptions,
  host: ts.CompilerHost,
): ts.SourceFile | undefined {
  if (!declarations.has(f)) {
    const text = host.readFile(f);
    declarations.set(f, text === undefined ? undefined : ts.createSourceFile(f, text, version));
  }
  return declarations.get(f);
}

export interface Kustomize {
  readonly label: string;
  build(dir: string, components?: readonly string[]): Manifest[];
}

/**
 * A kustomize that renders these manifests (components and `labels` need v4+): a standalone
 * `kustomize`, else the one inside `kubectl`; or why there is none.
 */
export function probeKustomize(): { kustomize?: Kustomize; reason: string } {
  const candidates = [
    { command: 'kustomize', version: ['version'], pattern: /v?(\d+)\.\d+\.\d+/, build: ['build'] },
    {
      command: 'kubectl',
      version: ['version', '--client'],
      pattern: /Kustomize Version: v?(\d+)/,
      build: ['kustomize'],
    },
  ];
  const reasons: string[] = [];
  for (const c of candidates) {
    const run = spawnSync(c.command, c.version, { encoding: 'utf8' });
    const major = Number(c.pattern.exec(run.stdout ?? '')?.[1]);
    if (run.status === 0 && major >= 4) {
      const label = `${c.command} (kustomize v${major})`;
      return { kustomize: kustomizeOf(c.command, c.build, label), reason: '' };
    }
    reasons.push(
      run.status === 0
        ? `${c.command} has no kustomize v4 or newer`
        : `${c.command} is not installed`,
    );
  }
  return { reason: reasons.join('; ') };
}

function kustomizeOf(command: string, args: string[], label: string): Kustomize {
  const render = (dir: string) =>
    parseManifests(
      execFileSync(command, [...args, dir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      `${label} ${dir}`,
    );
  return {
    label,
    build(target, components = []) {
      if (components.length === 0) return render(target);
      // Components are added through a throw-away kustomization (relative paths only).
      const dir = mkdtempSync(join(tmpdir(), 'satellite-kustomize-'));
      try {
        const rel = (p: string) => relative(dir, p);
        writeFileSync(
          join(dir, 'kustomization.yaml'),
          JSON.stringify({ resources: [rel(target)], components: components.map(rel) }),
        );
        return render(dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The satellite's container and its pod, in a Deployment that passed `schemaProblems`. */
export interface Satellite {
  readonly where: string;
  readonly deployment: IDeployment;
  readonly pod: IPodSpec;
  readonly container: IContainer;
}

export function satellitesOf(docs: readonly Manifest[]): Satellite[] {
  return docs
    .filter((d) => d.kind === 'Deployment')
    .flatMap((d) => {
      const deployment = d as unknown as IDeployment;
      const pod = deployment.spec?.template.spec;
      return (pod?.containers ?? []).map((container) => ({
        where: `${nameOf(d)} container ${container.name}`,
        deployment,
        pod: pod!,
        container,
      }));
    });
}

const find = (docs: readonly Manifest[], kind: string, name: string | undefined) =>
  docs.find((d) => d.kind === kind && d.metadata.name === name);

/** The string data of a ConfigMap or Secret (Secret `data` base64-decoded). */
function dataOf(doc: Manifest): Record<string, string> {
  const data = { ...(doc.data as Record<string, string> | undefined) };
  if (doc.kind === 'Secret')
    for (const k of Object.keys(data)) data[k] = Buffer.from(data[k], 'base64').toString('utf8');
  return { ...data, ...(doc.stringData as Record<string, string> | undefined) };
}

export interface EnvVar {
  readonly name: string;
  /** "env", "ConfigMap/x", "Secret/y". */
  readonly source: string;
  /** Literal and ConfigMap values; Secret values are placeholders and stay undefined. */
  readonly value?: string;
}

/** Every variable the container gets (`env` and the keys of its `envFrom` sources), and missing sources. */
export function envOf(
  s: Satellite,
  docs: readonly Manifest[],
): { vars: EnvVar[]; missing: string[] } {
  const vars: EnvVar[] = (s.container.env ?? []).map((e) => ({
    name: e.name,
    source: 'env',
    ...(e.value !== undefined ? { value: e.value } : {}),
  }));
  const missing: string[] = [];
  for (const from of s.container.envFrom ?? []) {
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const name = (from.configMapRef ?? from.secretRef)?.name;
    const doc = find(docs, kind, name);
    if (!doc) {
      missing.push(`${kind}/${name}`);
      continue;
    }
    for (const [key, value] of Object.entries(dataOf(doc)))
      vars.push({
        name: (from.prefix ?? '') + key,
        source: `${kind}/${name}`,
        ...(kind === 'ConfigMap' ? { value } : {}),
      });
  }
  return { vars, missing };
}

/** The content of the ConfigMap or Secret key that a whole-volume mount puts at `path`. */
function mountedFile(s: Satellite, docs: readonly Manifest[], path: string): string {
  const mount = s.container.volumeMounts?.find((m) => m.mountPath === posix.dirname(path));
  if (!mount) throw new Error(`no volume is mounted at ${posix.dirname(path)}`);
  if (mount.subPath) throw new Error('mounted with subPath, which never sees ConfigMap updates');
  const volume = s.pod.volumes?.find((v) => v.name === mount.name);
  const [kind, name] = volume?.configMap
    ? ['ConfigMap', volume.configMap.name]
    : ['Secret', volume?.secret?.secretName];
  const doc = find(docs, kind, name);
  const content = doc && dataOf(doc)[posix.basename(path)];
  if (content === undefined) throw new Error(`${kind} ${name} has no key ${posix.basename(path)}`);
  return content;
}

/**
 * The app's own configuration loader run on what the manifests give the container: literal and
 * ConfigMap values, the server file and tokens file read from the volumes mounted at their paths.
 */
export function appConfigOf(s: Satellite, docs: readonly Manifest[]): SatelliteConfig {
  const env: Record<string, string> = {};
  for (const v of envOf(s, docs).vars) if (v.value !== undefined) env[v.name] = v.value;
  if (!env.DEPLOYSTACK_MCP_CONFIG)
    throw new Error(`${s.where}: DEPLOYSTACK_MCP_CONFIG is not set (the app would load its demo)`);
  const dir = mkdtempSync(join(tmpdir(), 'satellite-manifest-env-'));
  try {
    for (const name of ['DEPLOYSTACK_MCP_CONFIG', 'DEPLOYSTACK_AUTH_TOKENS_FILE'] as const) {
      if (!env[name]) continue;
      const copy = join(dir, posix.basename(env[name]));
      try {
        writeFileSync(copy, mountedFile(s, docs, env[name]));
      } catch (err) {
        throw new Error(`${s.where}: ${name}=${env[name]}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      env[name] = copy;
    }
    return loadSatelliteConfig(env, '/');
  } catch (err) {
    if (err instanceof ConfigError)
      throw new Error(`${s.where}: ${err.problems.join('; ')}`, { cause: err });
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A port number, or a named port resolved through the container's ports. */
export function portOf(s: Satellite, port: number | string | undefined): number | undefined {
  if (typeof port === 'number' || port === undefined) return port;
  return /^\d+$/.test(port)
    ? Number(port)
    : s.container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Every HTTP path the cluster requests: probes, ServiceMonitor scrapes, Ingress paths. */
export function httpPaths(docs: readonly Manifest[]): { where: string; path: string }[] {
  const out: { where: string; path: string }[] = [];
  for (const s of satellitesOf(docs))
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const get = s.container[probe]?.httpGet;
      if (get) out.push({ where: `${s.where} ${probe}`, path: get.path ?? '/' });
    }
  for (const d of docs) {
    const spec = d.spec as
      | { endpoints?: { path?: string }[]; rules?: { http?: { paths: { path?: string }[] } }[] }
      | undefined;
    if (d.kind === 'ServiceMonitor')
      for (const e of spec?.endpoints ?? [])
        out.push({ where: nameOf(d), path: e.path ?? '/metrics' });
    if (d.kind === 'Ingress')
      for (const r of spec?.rules ?? [])
        for (const p of r.http?.paths ?? []) out.push({ where: nameOf(d), path: p.path ?? '/' });
  }
  return out;
}

/** The preStop sleep in seconds (exec `sleep N` or the native sleep action), 0 without one. */
export function preStopSeconds(s: Satellite): number {
  const preStop = s.container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds;
  const cmd = preStop?.exec?.command ?? [];
  const i = cmd.findIndex((a) => /(^|\/)sleep$/.test(a));
  return i >= 0 ? Number(cmd[i + 1] ?? 0) : 0;
}

/** The ConfigMaps and Secrets a kustomization's generators make (names without hash suffix). */
export function generatedDocs(kustomizationDir: string): Manifest[] {
  const k = parseManifests(
    readFileSync(join(kustomizationDir, 'kustomization.yaml'), 'utf8'),
    kustomizationDir,
  )[0] as Manifest & Record<string, { name: string; literals?: string[]; envs?: string[] }[]>;
  return (['configMapGenerator', 'secretGenerator'] as const).flatMap((field) =>
    (k[field] ?? []).map((g) => {
      const lines = [
        ...(g.literals ?? []),
        ...(g.envs ?? []).flatMap((e) =>
          readFileSync(resolve(kustomizationDir, e), 'utf8').split('\n'),
        ),
      ].filter((l) => l.includes('=') && !l.trimStart().startsWith('#'));
      const data = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1)]),
      );
      return {
        apiVersion: 'v1',
        kind: field === 'configMapGenerator' ? 'ConfigMap' : 'Secret',
        metadata: { name: g.name },
        [field === 'configMapGenerator' ? 'data' : 'stringData']: data,
      };
    }),
  );
}
