import { isObj, listAt, type Obj, objAt, strAt } from './yaml-docs.js';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export interface Container {
  /** "Deployment/satellite container satellite", for messages. */
  readonly where: string;
  readonly workload: Obj;
  readonly pod: Obj;
  readonly spec: Obj;
}

/** Every container (and init container) of every workload in `docs`; partial manifests (patches) too. */
export function containers(docs: readonly Obj[]): Container[] {
  const out: Container[] = [];
  for (const doc of docs) {
    const kind = strAt(doc, 'kind') ?? '';
    if (!WORKLOADS.has(kind)) continue;
    const pod = objAt(doc, 'spec', 'template', 'spec') ?? {};
    for (const field of ['initContainers', 'containers']) {
      for (const c of listAt(pod, field).filter(isObj)) {
        out.push({
          where: `${kind}/${strAt(doc, 'metadata', 'name')} container ${strAt(c, 'name')}`,
          workload: doc,
          pod,
          spec: c,
        });
      }
    }
  }
  return out;
}

const byKindName = (docs: readonly Obj[], kind: string, name: string | undefined) =>
  docs.find((d) => strAt(d, 'kind') === kind && strAt(d, 'metadata', 'name') === name);

/** Keys of a ConfigMap or Secret, whichever data field holds them. */
function keysOf(doc: Obj | undefined): string[] {
  return ['data', 'stringData', 'binaryData'].flatMap((f) => Object.keys(objAt(doc, f) ?? {}));
}

function decodedData(doc: Obj): Record<string, string> {
  const out: Record<string, string> = {
    ...(objAt(doc, 'data') as Record<string, string> | undefined),
  };
  if (strAt(doc, 'kind') === 'Secret')
    for (const k of Object.keys(out)) out[k] = Buffer.from(out[k], 'base64').toString('utf8');
  return { ...out, ...(objAt(doc, 'stringData') as Record<string, string> | undefined) };
}

export interface EnvVar {
  readonly name: string;
  /** "env", "envFrom ConfigMap/x", "envFrom Secret/y". */
  readonly source: string;
  /** The literal value; undefined for Secret values and unresolvable references. */
  readonly value?: string;
}

/**
 * Every environment variable a container gets from the manifests: `env` entries and the keys of
 * the ConfigMaps/Secrets named by `envFrom` (with its prefix). An envFrom source that is not among
 * `docs` is reported by name with an undefined key set (`missing`).
 */
export function envOf(c: Container, docs: readonly Obj[]): { vars: EnvVar[]; missing: string[] } {
  const vars: EnvVar[] = [];
  const missing: string[] = [];
  for (const e of listAt(c.spec, 'env').filter(isObj)) {
    const name = strAt(e, 'name') ?? '';
    const ref = objAt(e, 'valueFrom', 'configMapKeyRef');
    const value =
      strAt(e, 'value') ??
      (ref ? configMapValue(docs, strAt(ref, 'name'), strAt(ref, 'key')) : undefined);
    vars.push({ name, source: 'env', ...(value !== undefined ? { value } : {}) });
  }
  for (const from of listAt(c.spec, 'envFrom').filter(isObj)) {
    const prefix = strAt(from, 'prefix') ?? '';
    const kind = objAt(from, 'configMapRef') ? 'ConfigMap' : 'Secret';
    const name = strAt(from, kind === 'ConfigMap' ? 'configMapRef' : 'secretRef', 'name');
    const doc = byKindName(docs, kind, name);
    if (!doc) {
      missing.push(`${kind}/${name}`);
      continue;
    }
    const data = decodedData(doc);
    for (const key of keysOf(doc)) {
      vars.push({
        name: prefix + key,
        source: `envFrom ${kind}/${name}`,
        ...(kind === 'ConfigMap' ? { value: data[key] } : {}),
      });
    }
  }
  return { vars, missing };
}

function configMapValue(
  docs: readonly Obj[],
  name: string | undefined,
  key: string | undefined,
): string | undefined {
  const doc = byKindName(docs, 'ConfigMap', name);
  return doc && key ? decodedData(doc)[key] : undefined;
}

export interface Probe {
  readonly kind: string;
  readonly path?: string;
  readonly port: string | number | undefined;
}

export function probesOf(c: Container): Probe[] {
  const out: Probe[] = [];
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = objAt(c.spec, kind);
    if (!probe) continue;
    const http = objAt(probe, 'httpGet');
    const tcp = objAt(probe, 'tcpSocket');
    const grpc = objAt(probe, 'grpc');
    const port = (http ?? tcp ?? grpc)?.port as string | number | undefined;
    out.push({ kind, port, ...(http ? { path: strAt(http, 'path') ?? '/' } : {}) });
  }
  return out;
}

/** A numeric port, or a named one resolved through the container's ports. */
export function resolvePort(c: Container, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port !== undefined && /^\d+$/.test(port)) return Number(port);
  const named = listAt(c.spec, 'ports')
    .filter(isObj)
    .find((p) => strAt(p, 'name') === port);
  return typeof named?.containerPort === 'number' ? named.containerPort : undefined;
}

export function containerPorts(c: Container): { name?: string; port: number }[] {
  return listAt(c.spec, 'ports')
    .filter(isObj)
    .map((p) => ({
      ...(strAt(p, 'name') ? { name: strAt(p, 'name')! } : {}),
      port: p.containerPort as number,
    }));
}

/** The preStop sleep in seconds (exec `sleep N` or the native sleep action), 0 without one. */
export function preStopSleepSeconds(c: Container): number {
  const preStop = objAt(c.spec, 'lifecycle', 'preStop');
  const native = objAt(preStop, 'sleep')?.seconds;
  if (typeof native === 'number') return native;
  const cmd = listAt(preStop, 'exec', 'command').map(String);
  const i = cmd.findIndex((a) => /(^|\/)sleep$/.test(a));
  return i >= 0 ? Number(cmd[i + 1] ?? 0) : 0;
}

/** The volume mounted at `mountPath` (exact) and the volume definition behind it. */
export function volumeAt(
  c: Container,
  mountPath: string,
): { mount: Obj; volume: Obj | undefined } | undefined {
  const mount = listAt(c.spec, 'volumeMounts')
    .filter(isObj)
    .find((m) => strAt(m, 'mountPath') === mountPath);
  if (!mount) return undefined;
  const volume = listAt(c.pod, 'volumes')
    .filter(isObj)
    .find((v) => strAt(v, 'name') === strAt(mount, 'name'));
  return { mount, volume };
}

/** The effective security setting: the container's, else the pod's. */
export function securityField(c: Container, field: string): unknown {
  const own = objAt(c.spec, 'securityContext')?.[field];
  return own !== undefined ? own : objAt(c.pod, 'securityContext')?.[field];
}
