// Invariant: the Kubernetes manifests under deploy/ are valid against the Kubernetes schemas, and
// use only what the app has: its port, routes it serves, variables it declares, values it accepts.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getMetadataStorage } from 'class-validator';
import { EnvDto } from '../../src/config/env.dto.js';
import { parseServerConfig } from '../../src/config/mcp-server-file.js';
import { type Satellite as App, startSatellite } from '../support/satellite.js';
import {
  appConfigOf,
  envOf,
  generatedDocs,
  httpPaths,
  type Manifest,
  nameOf,
  parseManifests,
  portOf,
  preStopSeconds,
  probeKustomize,
  readManifestTree,
  type Satellite,
  satellitesOf,
  schemaProblems,
} from './support/manifests.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const BASE = join(DEPLOY, 'base');
const OVERLAYS = readdirSync(join(DEPLOY, 'overlays')).sort();
const COMPONENTS = readdirSync(join(DEPLOY, 'components')).sort();

/** Every variable the app reads: the class-validator schema of EnvDto, and what main.ts reads. */
const DECLARED = new Set([
  ...getMetadataStorage()
    .getTargetValidationMetadatas(EnvDto, '', true, false)
    .map((m) => m.propertyName),
  'NODE_ENV',
  'HOST',
  'PORT',
  'LOG_LEVEL',
]);
/** Variables whose value must come from a Secret (never a literal or a ConfigMap). */
const SECRET_ONLY = ['DEPLOYSTACK_SESSION_SECRET', 'DEPLOYSTACK_REGISTRATION_TOKEN'];
/** main.ts forces the exit this long after DEPLOYSTACK_SHUTDOWN_TIMEOUT_MS has run out. */
const FORCED_EXIT_SLACK_S = 2;
/** The uid of the Dockerfile's USER, which the pod's runAsUser must repeat. */
const IMAGE_UID = /^USER\s+(\d+)\b/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];

let app: App;
beforeAll(async () => {
  app = await startSatellite({});
}, 60_000);
afterAll(async () => {
  await app?.stop();
  if (app) rmSync(app.dir, { recursive: true, force: true });
});

/** The paths that do not answer 200 on the real app (every one is a GET the cluster sends). */
async function unservedPaths(paths: { where: string; path: string }[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { where, path } of paths) {
    const res = await fetch(`${app.baseUrl}${path}`);
    await res.arrayBuffer();
    if (res.status !== 200) problems.push(`${where}: GET ${path} answers ${res.status}`);
  }
  return problems;
}

/** Undeclared variables, variables set twice, envFrom sources that do not exist. */
function envProblems(docs: readonly Manifest[]): string[] {
  return satellitesOf(docs).flatMap((s) => {
    const { vars, missing } = envOf(s, docs);
    const names = vars.filter((v) => v.source === 'env').map((v) => v.name);
    return [
      ...missing.map((m) => `${s.where}: envFrom ${m} is not among the manifests`),
      ...vars
        .filter((v) => !DECLARED.has(v.name))
        .map((v) => `${s.where}: ${v.name} (${v.source}) is not a variable the app declares`),
      ...names.filter((n, i) => names.indexOf(n) !== i).map((n) => `${s.where}: ${n} set twice`),
    ];
  });
}

const tree = readManifestTree(DEPLOY);
const kustomizations = tree.filter((f) => f.path.endsWith('kustomization.yaml'));

describe('deploy/ as written (no kustomize needed)', () => {
  const resources = kustomizations.flatMap((k) =>
    ((k.docs[0].resources as string[] | undefined) ?? [])
      .filter((r) => /\.ya?ml$/.test(r))
      .flatMap((r) => parseManifests(readFileSync(resolve(dirname(k.path), r), 'utf8'), r)),
  );
  // The resource files, the partial Deployments of patches, the generators' ConfigMaps and Secrets.
  const raw = [
    ...tree.filter((f) => !kustomizations.includes(f)).flatMap((f) => f.docs),
    ...kustomizations.flatMap((k) => generatedDocs(dirname(k.path))),
  ];

  it('every resource file validates against its Kubernetes schema', async () => {
    expect(resources.map((d) => d.kind)).toEqual(expect.arrayContaining(['Deployment', 'Service']));
    expect(await schemaProblems(resources)).toEqual([]);
  });

  it('uses only environment variables the app declares, and probes routes it serves', async () => {
    expect(satellitesOf(raw).length).toBeGreaterThanOrEqual(3);
    expect(envProblems(raw)).toEqual([]);
    expect(await unservedPaths(httpPaths(raw))).toEqual([]);
  });

  it('ships an MCP server config the app accepts and an image user that is numeric, not root', () => {
    const path = join(BASE, 'mcp-servers.json');
    expect(() => parseServerConfig(readFileSync(path, 'utf8'), path)).not.toThrow();
    expect(IMAGE_UID).toMatch(/^[1-9]\d*$/);
  });
});

describe('the schema validator', () => {
  const deployment = () =>
    structuredClone(
      parseManifests(readFileSync(join(BASE, 'deployment.yaml'), 'utf8'), 'deployment.yaml')[0],
    ) as Manifest & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };

  it('reports a field of the wrong type by its path', async () => {
    const broken = deployment();
    broken.spec.template.spec.containers[0].ports = [{ name: 'http', containerPort: '3001' }];
    expect(await schemaProblems([broken])).toEqual([
      'Deployment/satellite: data/spec/template/spec/containers/0/ports/0/containerPort must be integer',
    ]);
  });

  it('reports a missing required field and a kind it has no schema for', async () => {
    const broken = deployment();
    delete broken.spec.template.spec.containers[0].name;
    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(await schemaProblems([broken, unknown])).toEqual([
      'Deployment/satellite: data/spec/template/spec/containers/0 must have required property name',
      'Widget/w: no schema for example.com/v1 Widget',
    ]);
  });

  it('reports unknown fields by name, at any depth', async () => {
    const typo = deployment();
    const container = typo.spec.template.spec.containers[0];
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    const nested = deployment();
    (nested.metadata as { name: string }).name = 'nested';
    const security = nested.spec.template.spec.containers[0].securityContext as Record<
      string,
      unknown
    >;
    security.readOnlyRootFileSystem = true;
    expect(await schemaProblems([typo, nested])).toEqual([
      expect.stringMatching(
        /^Deployment\/satellite: .*'"readinesProbe"' does not exist in type 'IContainer'/,
      ),
      expect.stringMatching(
        /^Deployment\/nested: .*'"readOnlyRootFileSystem"' does not exist in type 'ISecurityContext'/,
      ),
    ]);
  });
});

const { kustomize, reason } = probeKustomize();
if (!kustomize) console.warn(`skipped: rendering deploy/ with kustomize: ${reason}`);
const describeRendered = kustomize ? describe : describe.skip;

const variants = [
  { name: 'base', target: BASE, components: [] as string[] },
  ...OVERLAYS.map((o) => ({
    name: `overlays/${o}`,
    target: join(DEPLOY, 'overlays', o),
    components: [],
  })),
  ...OVERLAYS.map((o) => ({
    name: `overlays/${o} + ${COMPONENTS.join(' + ')}`,
    target: join(DEPLOY, 'overlays', o),
    components: COMPONENTS.map((c) => join(DEPLOY, 'components', c)),
  })),
].map((v) => ({
  ...v,
  managed: v.name.includes('managed'),
  bwrap: v.components.some((c) => c.endsWith('sandbox-bwrap')),
}));

describeRendered.each(variants)(
  `$name, rendered (${kustomize?.label ?? `skipped: ${reason}`})`,
  (variant) => {
    let docs: Manifest[] = [];
    let s: Satellite;
    beforeAll(() => {
      docs = kustomize!.build(variant.target, variant.components);
      [s] = satellitesOf(docs);
    });
    const kinds = () => docs.map(nameOf);

    it('every object validates against its Kubernetes schema', async () => {
      expect(await schemaProblems(docs)).toEqual([]);
      expect(satellitesOf(docs).map((x) => x.where)).toEqual([
        'Deployment/satellite container satellite',
      ]);
    });

    it('sets only variables the app declares, and passes its configuration validation', () => {
      expect(envProblems(docs)).toEqual([]);
      expect(() => appConfigOf(s, docs)).not.toThrow();
    });

    it('keeps the session secret (and the registration token) in Secrets', () => {
      const sources = envOf(s, docs).vars.filter((v) => SECRET_ONLY.includes(v.name));
      expect(sources.map((v) => v.name).sort()).toEqual(
        variant.managed ? [...SECRET_ONLY].sort() : ['DEPLOYSTACK_SESSION_SECRET'],
      );
      for (const v of sources) expect(`${v.name} from ${v.source}`).toMatch(/ from Secret\//);
    });

    it('listens on the pod IP at the container port, which every probe and the Service use', () => {
      const config = appConfigOf(s, docs);
      expect(config.http.host).not.toMatch(/^(127\.|localhost$|::1$)/);
      expect(s.container.ports?.map((p) => p.containerPort)).toEqual([config.http.port]);
      const probes = [s.container.livenessProbe, s.container.readinessProbe].map((p) =>
        portOf(s, p?.httpGet?.port),
      );
      expect(probes).toEqual([config.http.port, config.http.port]);
      const service = docs.find((d) => d.kind === 'Service') as
        (Manifest & { spec: { ports: { targetPort?: number | string }[] } }) | undefined;
      expect(service?.spec.ports.map((p) => portOf(s, p.targetPort))).toEqual([config.http.port]);
    });

    it('probes /health/live and /health/ready, and sends scrapes and ingress traffic to routes the app serves', async () => {
      expect(s.container.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(s.container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(await unservedPaths(httpPaths(docs))).toEqual([]);
    });

    it(`has the ${variant.bwrap ? 'bwrap' : 'strict'} security context, writable /tmp and data dir, and a shutdown inside the grace period`, () => {
      const config = appConfigOf(s, docs);
      const pod = s.pod.securityContext;
      const own = s.container.securityContext;
      expect({
        runAsNonRoot: pod?.runAsNonRoot,
        runAsUser: String(pod?.runAsUser),
        readOnlyRootFilesystem: own?.readOnlyRootFilesystem,
        allowPrivilegeEscalation: own?.allowPrivilegeEscalation,
        capabilities: own?.capabilities,
      }).toEqual({
        runAsNonRoot: true,
        runAsUser: IMAGE_UID,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const sandbox = {
        sandbox: config.process.sandbox,
        allowUnsandboxed: config.process.allowUnsandboxed,
        seccomp: (own?.seccompProfile ?? pod?.seccompProfile)?.type,
        hostUsers: s.pod.hostUsers,
        procMount: own?.procMount,
      };
      // strict: the pod is the isolation boundary; bwrap: exactly the documented loosening.
      expect(sandbox).toEqual(
        variant.bwrap
          ? {
              sandbox: 'bwrap',
              allowUnsandboxed: false,
              seccomp: 'Unconfined',
              hostUsers: false,
              procMount: 'Unmasked',
            }
          : {
              sandbox: 'none',
              allowUnsandboxed: true,
              seccomp: 'RuntimeDefault',
              hostUsers: undefined,
              procMount: undefined,
            },
      );
      const mounted = s.container.volumeMounts?.map((m) => m.mountPath);
      expect(mounted).toEqual(expect.arrayContaining(['/tmp', config.dataDir]));
      // main.ts forces the exit at shutdown timeout + process kill grace + slack, after the preStop.
      const needed =
        preStopSeconds(s) +
        (config.shutdownTimeoutMs + config.process.killGraceMs) / 1000 +
        FORCED_EXIT_SLACK_S;
      expect(preStopSeconds(s)).toBeGreaterThan(0);
      expect(s.pod.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(needed);
    });

    it(
      variant.managed
        ? 'managed: one pod with a persistent data dir'
        : 'scales: HPA on CPU, PDB, replicas > 1, scratch data dir',
      () => {
        const data = s.pod.volumes?.find((v) => v.name === 'data');
        if (variant.managed) {
          expect(s.deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
          expect(kinds()).toContain(
            `PersistentVolumeClaim/${data?.persistentVolumeClaim?.claimName}`,
          );
          expect(data?.emptyDir).toBeUndefined();
          expect(
            kinds().filter((k) => /^(HorizontalPodAutoscaler|PodDisruptionBudget)\//.test(k)),
          ).toEqual([]);
          expect(appConfigOf(s, docs).dataDir).toBe('/data');
        } else {
          expect(kinds()).toEqual(
            expect.arrayContaining([
              'HorizontalPodAutoscaler/satellite',
              'PodDisruptionBudget/satellite',
            ]),
          );
          expect(docs.find((d) => d.kind === 'HorizontalPodAutoscaler')?.spec).toMatchObject({
            minReplicas: 2,
            metrics: [{ type: 'Resource', resource: { name: 'cpu' } }],
          });
          expect(data?.emptyDir).toBeDefined();
        }
      },
    );
  },
);
