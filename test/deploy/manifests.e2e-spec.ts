// Invariant: the Kubernetes manifests under deploy/ parse, render, and use only what the app has:
// its port, routes it serves, environment variables it declares and values it accepts.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getMetadataStorage } from 'class-validator';
import { EnvDto } from '../../src/config/env.dto.js';
import { parseServerConfig } from '../../src/config/mcp-server-file.js';
import { type Satellite, startSatellite } from '../support/satellite.js';
import {
  appConfigOf,
  envProblems,
  httpPaths,
  podProblems,
  portProblems,
  type SandboxVariant,
  securityProblems,
  wiringProblems,
} from './support/consistency.js';
import {
  buildWithComponents,
  checkReference,
  generatedDocs,
  probeKustomize,
  readKustomization,
  references,
} from './support/kustomize.js';
import { containers, probesOf, resolvePort } from './support/pod-spec.js';
import { isObj, type Obj, readYamlTree, strAt } from './support/yaml-docs.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const BASE = join(DEPLOY, 'base');
const OVERLAY = (name: string) => join(DEPLOY, 'overlays', name);
const COMPONENT = (name: string) => join(DEPLOY, 'components', name);
const OVERLAYS = readdirSync(join(DEPLOY, 'overlays')).sort();
const COMPONENTS = readdirSync(join(DEPLOY, 'components')).sort();
const ALL_COMPONENTS = COMPONENTS.map(COMPONENT);

/** Every variable the app validates (class-validator metadata of EnvDto). */
const DECLARED = new Set([
  ...getMetadataStorage()
    .getTargetValidationMetadatas(EnvDto, '', true, false)
    .map((m) => m.propertyName),
  'NODE_ENV',
  'HOST',
  'PORT',
  'LOG_LEVEL',
]);

/** The Dockerfile's USER, which the pod's runAsUser must repeat. */
const IMAGE_UID = (() => {
  const user = /^USER\s+(\S+)/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1] ?? '';
  return /^\d+/.test(user) ? Number.parseInt(user, 10) : Number.NaN;
})();

const yamlFiles = readYamlTree(DEPLOY);
const kustomizationDirs = yamlFiles
  .filter((f) => f.name.endsWith('kustomization.yaml'))
  .map((f) => resolve(f.path, '..'));

let satellite: Satellite;
beforeAll(async () => {
  satellite = await startSatellite({});
}, 60_000);
afterAll(async () => {
  await satellite?.stop();
  if (satellite) rmSync(satellite.dir, { recursive: true, force: true });
});

/** Each path gets 200 from the real app (every path here is a GET the cluster sends). */
async function unservedPaths(paths: { where: string; path: string }[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { where, path } of paths) {
    const res = await fetch(`${satellite.baseUrl}${path}`);
    await res.arrayBuffer();
    if (res.status !== 200) problems.push(`${where}: GET ${path} answers ${res.status}, not 200`);
  }
  return problems;
}

describe('deploy/ files', () => {
  it('every YAML file parses, without empty documents', () => {
    expect(yamlFiles.length).toBeGreaterThan(10);
    const problems = yamlFiles.flatMap((f) => [
      ...f.errors.map((e) => `${f.name}: ${e}`),
      ...f.docs
        .filter((d) => !isObj(d))
        .map(() => `${f.name}: a document is empty or not a mapping`),
    ]);
    expect(problems).toEqual([]);
  });

  it('every path a kustomization refers to exists, and is the kind of thing it must be', () => {
    const refs = kustomizationDirs.flatMap((dir) =>
      references(readKustomization(dir)).map((r) => ({ dir, r })),
    );
    // base resources + overlays' bases + generator files at least
    expect(refs.length).toBeGreaterThan(10);
    const problems = refs.flatMap(({ dir, r }) => {
      const why = checkReference(r);
      return why
        ? [
            `${relative(DEPLOY, dir)}/kustomization.yaml ${r.field}: ${relative(dir, r.path)} ${why}`,
          ]
        : [];
    });
    expect(problems).toEqual([]);
    for (const c of COMPONENTS) expect(readKustomization(COMPONENT(c)).kind).toBe('Component');
    for (const o of OVERLAYS)
      expect(references(readKustomization(OVERLAY(o))).some((r) => r.path === BASE)).toBe(true);
  });

  it('the shipped MCP server config is a file the app accepts', () => {
    const path = join(BASE, 'mcp-servers.json');
    expect(() => parseServerConfig(readFileSync(path, 'utf8'), path)).not.toThrow();
  });

  it("the Dockerfile's USER is numeric (Kubernetes verifies runAsNonRoot only then) and not root", () => {
    expect(IMAGE_UID).toBeGreaterThan(0);
  });
});

describe('raw manifests (each file as written, before kustomize)', () => {
  // Plain manifests, the partial Deployments of patches, and the ConfigMaps/Secrets generators make.
  const docs: Obj[] = [
    ...yamlFiles
      .filter((f) => !f.name.endsWith('kustomization.yaml'))
      .flatMap((f) => f.docs.filter(isObj)),
    ...kustomizationDirs.flatMap((dir) => generatedDocs(readKustomization(dir))),
  ];

  it('use only environment variables the app declares', () => {
    expect(containers(docs).length).toBeGreaterThanOrEqual(3);
    expect(envProblems(docs, DECLARED)).toEqual([]);
  });

  it('probe only routes the app serves, on a port that resolves to 3001', async () => {
    const paths = httpPaths(docs);
    expect(paths.map((p) => p.path)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/metrics']),
    );
    expect(await unservedPaths(paths)).toEqual([]);
    for (const c of containers(docs).filter((x) => Array.isArray(x.spec.ports))) {
      for (const p of probesOf(c))
        expect({ where: c.where, port: resolvePort(c, p.port) }).toEqual({
          where: c.where,
          port: 3001,
        });
    }
  });
});

const { kustomize, reason } = probeKustomize();
if (!kustomize)
  console.warn(
    `skipped: rendering deploy/ with kustomize: ${reason} (the raw-file checks above still ran)`,
  );
const describeRendered = kustomize ? describe : describe.skip;

interface Variant {
  readonly name: string;
  readonly target: string;
  readonly components: readonly string[];
  readonly sandbox: SandboxVariant;
  readonly managed: boolean;
}

const variants: Variant[] = [
  { name: 'base', target: BASE, components: [], sandbox: 'strict', managed: false },
  ...OVERLAYS.map((o) => ({
    name: `overlays/${o}`,
    target: OVERLAY(o),
    components: [],
    sandbox: 'strict' as const,
    managed: o === 'managed',
  })),
  ...OVERLAYS.map((o) => ({
    name: `overlays/${o} + ${COMPONENTS.join(' + ')}`,
    target: OVERLAY(o),
    components: ALL_COMPONENTS,
    sandbox: COMPONENTS.includes('sandbox-bwrap') ? ('bwrap' as const) : ('strict' as const),
    managed: o === 'managed',
  })),
];

describeRendered.each(variants)('$name, rendered', (variant) => {
  let docs: Obj[] = [];
  beforeAll(() => {
    docs =
      variant.components.length > 0
        ? buildWithComponents(kustomize!, variant.target, variant.components)
        : kustomize!.build(variant.target);
  });
  const kinds = () => docs.map((d) => `${strAt(d, 'kind')}/${strAt(d, 'metadata', 'name')}`);
  const workloads = () => containers(docs);

  it('renders one satellite workload, and every envFrom source and variable exists in the app', () => {
    expect(workloads().map((c) => c.where)).toEqual(['Deployment/satellite container satellite']);
    expect(envProblems(docs, DECLARED)).toEqual([]);
  });

  it("passes the app's own configuration validation, listening on the pod IP at the container port", () => {
    for (const c of workloads()) {
      const result = appConfigOf(c, docs);
      expect(result.problems ?? []).toEqual([]);
      expect(portProblems(c, result.config!)).toEqual([]);
    }
  });

  it('sends probes, scrapes and ingress traffic only to routes the app serves', async () => {
    const paths = httpPaths(docs);
    expect(paths.filter((p) => p.where.endsWith('livenessProbe')).map((p) => p.path)).toEqual([
      '/health/live',
    ]);
    expect(paths.filter((p) => p.where.endsWith('readinessProbe')).map((p) => p.path)).toEqual([
      '/health/ready',
    ]);
    expect(await unservedPaths(paths)).toEqual([]);
  });

  it('wires Services, monitors, ingresses, autoscalers and budgets to things that exist', () => {
    expect(wiringProblems(docs)).toEqual([]);
    if (variant.components.includes(COMPONENT('monitoring')))
      expect(kinds()).toContain('ServiceMonitor/satellite');
    if (variant.components.includes(COMPONENT('ingress')))
      expect(kinds()).toContain('Ingress/satellite');
  });

  it(`has the ${variant.sandbox} security context, writable /tmp and data dir, and a shutdown inside the grace period`, () => {
    for (const c of workloads()) {
      const { config } = appConfigOf(c, docs);
      expect(securityProblems(c, config!, variant.sandbox, IMAGE_UID)).toEqual([]);
      expect(podProblems(c, config!)).toEqual([]);
    }
  });

  it(
    variant.managed
      ? 'managed: one pod with a persistent data dir, registered from a Secret'
      : 'scales: HPA on CPU, PDB, replicas > 1',
    () => {
      const deployment = docs.find((d) => strAt(d, 'kind') === 'Deployment')!;
      const c = workloads()[0];
      const volume = (c.pod.volumes as Obj[]).find((v) => v.name === 'data')!;
      if (variant.managed) {
        expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
        const claim = strAt(volume, 'persistentVolumeClaim', 'claimName');
        expect(kinds()).toContain(`PersistentVolumeClaim/${claim}`);
        expect(volume.emptyDir).toBeUndefined();
        expect(
          kinds().filter((k) => /^(HorizontalPodAutoscaler|PodDisruptionBudget)\//.test(k)),
        ).toEqual([]);
        const secretNames = appConfigSecretNames(c);
        expect(secretNames).toEqual(
          expect.arrayContaining([
            'DEPLOYSTACK_BACKEND_URL',
            'DEPLOYSTACK_REGISTRATION_TOKEN',
            'DEPLOYSTACK_SESSION_SECRET',
          ]),
        );
        expect(appConfigOf(c, docs).config!.dataDir).toBe('/data');
      } else {
        expect(kinds()).toEqual(
          expect.arrayContaining([
            'HorizontalPodAutoscaler/satellite',
            'PodDisruptionBudget/satellite',
          ]),
        );
        const hpa = docs.find((d) => strAt(d, 'kind') === 'HorizontalPodAutoscaler')!;
        expect(hpa.spec).toMatchObject({
          minReplicas: 2,
          metrics: [{ type: 'Resource', resource: { name: 'cpu' } }],
        });
        expect(volume.emptyDir).toBeDefined();
      }

      function appConfigSecretNames(container: typeof c): string[] {
        const secrets = docs.filter((d) => strAt(d, 'kind') === 'Secret');
        return (container.spec.envFrom as Obj[])
          .map((f) => strAt(f, 'secretRef', 'name'))
          .flatMap((name) =>
            secrets
              .filter((s) => strAt(s, 'metadata', 'name') === name)
              .flatMap((s) => Object.keys((s.data as Obj | undefined) ?? {})),
          );
      }
    },
  );
});
