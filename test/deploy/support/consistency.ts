import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { ConfigError, loadSatelliteConfig } from '../../../src/config/config.loader.js';
import type { SatelliteConfig } from '../../../src/config/satellite-config.js';
import {
  type Container,
  containerPorts,
  containers,
  envOf,
  preStopSleepSeconds,
  probesOf,
  resolvePort,
  securityField,
  volumeAt,
} from './pod-spec.js';
import { isObj, listAt, type Obj, objAt, strAt } from './yaml-docs.js';

/** main.ts forces the exit this long after DEPLOYSTACK_SHUTDOWN_TIMEOUT_MS has run out. */
const FORCED_EXIT_SLACK_S = 2;
const LOOPBACK = /^(127\.|localhost$|::1$|\[::1\]$)/;

/** Environment variables that are not declared, and envFrom sources that are not rendered. */
export function envProblems(docs: readonly Obj[], declared: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const c of containers(docs)) {
    const { vars, missing } = envOf(c, docs);
    for (const m of missing) problems.push(`${c.where}: envFrom ${m} is not among the manifests`);
    for (const v of vars)
      if (!declared.has(v.name))
        problems.push(
          `${c.where}: ${v.name} (${v.source}) is not an environment variable the app declares`,
        );
    const names = listAt(c.spec, 'env').map((e) => strAt(e, 'name'));
    for (const dup of new Set(names.filter((n, i) => names.indexOf(n) !== i)))
      problems.push(`${c.where}: env ${dup} is set twice`);
  }
  return problems;
}

export type AppConfigResult =
  { config: SatelliteConfig; problems?: undefined } | { config?: undefined; problems: string[] };

/**
 * Runs the app's own configuration loader on what the manifests give the container: literal env
 * values and ConfigMap values (Secret values are placeholders by design and are checked by name
 * only), with the MCP server config file read from the ConfigMap mounted at its path.
 */
export function appConfigOf(c: Container, docs: readonly Obj[]): AppConfigResult {
  const env: Record<string, string> = {};
  for (const v of envOf(c, docs).vars) if (v.value !== undefined) env[v.name] = v.value;
  const configPath = env.DEPLOYSTACK_MCP_CONFIG;
  if (!configPath)
    return {
      problems: [
        `${c.where}: DEPLOYSTACK_MCP_CONFIG is not set (the app would fall back to its development demo config)`,
      ],
    };
  const file = configMapFileAt(c, docs, configPath);
  if (typeof file !== 'string')
    return { problems: [`${c.where}: DEPLOYSTACK_MCP_CONFIG=${configPath}: ${file.problem}`] };
  // The tokens file of DEPLOYSTACK_AUTH=tokens comes from a mounted Secret (or ConfigMap).
  const tokensPath =
    env.DEPLOYSTACK_AUTH === 'tokens' ? env.DEPLOYSTACK_AUTH_TOKENS_FILE : undefined;
  const tokens = tokensPath ? configMapFileAt(c, docs, tokensPath) : undefined;
  if (tokensPath && typeof tokens !== 'string')
    return {
      problems: [
        `${c.where}: DEPLOYSTACK_AUTH_TOKENS_FILE=${tokensPath}: ${tokens?.problem ?? 'missing'}`,
      ],
    };
  const dir = mkdtempSync(join(tmpdir(), 'satellite-manifest-env-'));
  try {
    writeFileSync(join(dir, 'mcp-servers.json'), file);
    if (typeof tokens === 'string') writeFileSync(join(dir, 'auth-tokens.json'), tokens);
    return {
      config: loadSatelliteConfig(
        {
          ...env,
          DEPLOYSTACK_MCP_CONFIG: join(dir, 'mcp-servers.json'),
          ...(typeof tokens === 'string'
            ? { DEPLOYSTACK_AUTH_TOKENS_FILE: join(dir, 'auth-tokens.json') }
            : {}),
        },
        '/',
      ),
    };
  } catch (err) {
    if (err instanceof ConfigError)
      return { problems: err.problems.map((p) => `${c.where}: ${p}`) };
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The content of the ConfigMap (or Secret) key mounted as `path` (a whole-volume mount). */
function configMapFileAt(
  c: Container,
  docs: readonly Obj[],
  path: string,
): string | { problem: string } {
  const mount = volumeAt(c, posix.dirname(path));
  if (!mount) return { problem: `no volume is mounted at ${posix.dirname(path)}` };
  if (strAt(mount.mount, 'subPath'))
    return { problem: 'mounted with subPath, which never sees ConfigMap updates' };
  const secretName = strAt(mount.volume, 'secret', 'secretName');
  const name = strAt(mount.volume, 'configMap', 'name') ?? secretName;
  const kind = secretName ? 'Secret' : 'ConfigMap';
  if (!name)
    return { problem: `the volume at ${posix.dirname(path)} is not a ConfigMap or a Secret` };
  const doc = docs.find((d) => strAt(d, 'kind') === kind && strAt(d, 'metadata', 'name') === name);
  const key = posix.basename(path);
  const encoded = kind === 'Secret' ? strAt(doc, 'data', key) : undefined;
  const content =
    strAt(doc, kind === 'Secret' ? 'stringData' : 'data', key) ??
    (encoded !== undefined ? Buffer.from(encoded, 'base64').toString('utf8') : undefined);
  return content ?? { problem: `${kind} ${name} has no key ${key}` };
}

/** The app listens where the pod's ports and probes say, on an address the kubelet can reach. */
export function portProblems(c: Container, config: SatelliteConfig): string[] {
  const problems: string[] = [];
  if (LOOPBACK.test(config.http.host))
    problems.push(
      `${c.where}: HOST=${config.http.host} is a loopback address; probes and the Service could not reach the app`,
    );
  const ports = containerPorts(c);
  if (ports.length === 0) problems.push(`${c.where}: declares no container port`);
  for (const p of ports)
    if (p.port !== config.http.port)
      problems.push(
        `${c.where}: containerPort ${p.name ?? ''} ${p.port} is not the app's port ${config.http.port}`,
      );
  for (const probe of probesOf(c)) {
    const port = resolvePort(c, probe.port);
    if (port !== config.http.port)
      problems.push(
        `${c.where}: ${probe.kind} port ${String(probe.port)} (${String(port)}) is not the app's port ${config.http.port}`,
      );
  }
  return problems;
}

/** Every HTTP path the cluster will request: probes, scrape endpoints, Ingress paths. */
export function httpPaths(docs: readonly Obj[]): { where: string; path: string }[] {
  const out: { where: string; path: string }[] = [];
  for (const c of containers(docs))
    for (const p of probesOf(c))
      if (p.path !== undefined) out.push({ where: `${c.where} ${p.kind}`, path: p.path });
  for (const d of docs.filter((x) => strAt(x, 'kind') === 'ServiceMonitor')) {
    for (const e of listAt(d, 'spec', 'endpoints'))
      out.push({
        where: `ServiceMonitor/${strAt(d, 'metadata', 'name')}`,
        path: strAt(e, 'path') ?? '/metrics',
      });
  }
  for (const d of docs.filter((x) => strAt(x, 'kind') === 'Ingress')) {
    for (const rule of listAt(d, 'spec', 'rules')) {
      for (const p of listAt(rule, 'http', 'paths'))
        out.push({
          where: `Ingress/${strAt(d, 'metadata', 'name')}`,
          path: strAt(p, 'path') ?? '/',
        });
    }
  }
  return out;
}

const matches = (selector: Obj | undefined, labels: Obj | undefined) =>
  selector !== undefined && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Services, monitors, ingresses, autoscalers and budgets point at things that exist. */
export function wiringProblems(docs: readonly Obj[]): string[] {
  const problems: string[] = [];
  const all = containers(docs);
  const podsOf = (selector: Obj | undefined) =>
    all.filter((c) =>
      matches(selector, objAt(c.workload, 'spec', 'template', 'metadata', 'labels')),
    );
  const named = (kind: string) => docs.filter((d) => strAt(d, 'kind') === kind);
  const nameOf = (d: Obj) => `${strAt(d, 'kind')}/${strAt(d, 'metadata', 'name')}`;
  for (const svc of named('Service')) {
    const pods = podsOf(objAt(svc, 'spec', 'selector'));
    if (pods.length === 0) problems.push(`${nameOf(svc)}: its selector matches no pod template`);
    for (const p of listAt(svc, 'spec', 'ports').filter(isObj)) {
      const target = (p.targetPort ?? p.port) as string | number;
      for (const c of pods)
        if (resolvePort(c, target) === undefined)
          problems.push(`${nameOf(svc)}: targetPort ${target} is not a port of ${c.where}`);
    }
  }
  const servicePort = (svcName: string | undefined, port: string | number | undefined) =>
    named('Service').some(
      (s) =>
        strAt(s, 'metadata', 'name') === svcName &&
        listAt(s, 'spec', 'ports').some((p) => isObj(p) && (p.name === port || p.port === port)),
    );
  for (const sm of named('ServiceMonitor')) {
    const svcs = named('Service').filter((s) =>
      matches(objAt(sm, 'spec', 'selector', 'matchLabels'), objAt(s, 'metadata', 'labels')),
    );
    if (svcs.length === 0) problems.push(`${nameOf(sm)}: its selector matches no Service`);
    for (const e of listAt(sm, 'spec', 'endpoints')) {
      if (!svcs.some((s) => servicePort(strAt(s, 'metadata', 'name'), strAt(e, 'port'))))
        problems.push(
          `${nameOf(sm)}: port ${strAt(e, 'port')} is not a named port of the selected Service`,
        );
    }
  }
  for (const ing of named('Ingress')) {
    for (const rule of listAt(ing, 'spec', 'rules')) {
      for (const p of listAt(rule, 'http', 'paths')) {
        const svc = objAt(p, 'backend', 'service');
        const port =
          strAt(svc, 'port', 'name') ?? (objAt(svc, 'port')?.number as number | undefined);
        if (!servicePort(strAt(svc, 'name'), port))
          problems.push(
            `${nameOf(ing)}: backend ${strAt(svc, 'name')}:${port} is not a Service port`,
          );
      }
    }
  }
  for (const hpa of named('HorizontalPodAutoscaler')) {
    const ref = objAt(hpa, 'spec', 'scaleTargetRef');
    if (
      !docs.some(
        (d) =>
          strAt(d, 'kind') === strAt(ref, 'kind') &&
          strAt(d, 'metadata', 'name') === strAt(ref, 'name'),
      )
    ) {
      problems.push(
        `${nameOf(hpa)}: scaleTargetRef ${strAt(ref, 'kind')}/${strAt(ref, 'name')} does not exist`,
      );
    }
  }
  for (const pdb of named('PodDisruptionBudget')) {
    if (podsOf(objAt(pdb, 'spec', 'selector', 'matchLabels')).length === 0)
      problems.push(`${nameOf(pdb)}: its selector matches no pod template`);
  }
  return problems;
}

/** Writable paths under a read-only root, the config mount, and a shutdown that fits the grace period. */
export function podProblems(c: Container, config: SatelliteConfig): string[] {
  const problems: string[] = [];
  if (securityField(c, 'readOnlyRootFilesystem') === true) {
    for (const path of ['/tmp', config.dataDir])
      if (!volumeAt(c, path))
        problems.push(`${c.where}: ${path} must be a volume under a read-only root filesystem`);
  }
  const grace = (c.pod.terminationGracePeriodSeconds as number | undefined) ?? 30;
  // main.ts forces the exit at shutdown timeout + process kill grace + slack.
  const needed =
    preStopSleepSeconds(c) +
    (config.shutdownTimeoutMs + config.process.killGraceMs) / 1000 +
    FORCED_EXIT_SLACK_S;
  if (grace <= needed) {
    problems.push(
      `${c.where}: terminationGracePeriodSeconds ${grace} must exceed preStop ${preStopSleepSeconds(c)} s + shutdown ${config.shutdownTimeoutMs / 1000} s + kill grace ${config.process.killGraceMs / 1000} s + ${FORCED_EXIT_SLACK_S} s`,
    );
  }
  if (preStopSleepSeconds(c) === 0)
    problems.push(
      `${c.where}: no preStop sleep; SIGTERM may arrive before the endpoint is removed`,
    );
  return problems;
}

export type SandboxVariant = 'strict' | 'bwrap';

/**
 * The strict variant: the pod is the isolation boundary (Pod Security "restricted" fields), and
 * the app is configured to run stdio servers unsandboxed. The bwrap variant: exactly the documented
 * loosening (user namespace pod, unmasked /proc, unconfined seccomp) and a refusing bwrap driver.
 */
export function securityProblems(
  c: Container,
  config: SatelliteConfig,
  variant: SandboxVariant,
  imageUid: number,
): string[] {
  const problems: string[] = [];
  const expect = (field: string, got: unknown, want: unknown) => {
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(
        `${c.where}: ${field} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
      );
  };
  expect('runAsNonRoot', securityField(c, 'runAsNonRoot'), true);
  expect('runAsUser', securityField(c, 'runAsUser'), imageUid);
  expect('readOnlyRootFilesystem', securityField(c, 'readOnlyRootFilesystem'), true);
  expect('allowPrivilegeEscalation', securityField(c, 'allowPrivilegeEscalation'), false);
  expect('capabilities.drop', objAt(c.spec, 'securityContext', 'capabilities')?.drop, ['ALL']);
  expect('capabilities.add', objAt(c.spec, 'securityContext', 'capabilities')?.add, undefined);
  const seccomp = strAt(securityField(c, 'seccompProfile'), 'type');
  if (variant === 'strict') {
    expect('seccompProfile.type', seccomp, 'RuntimeDefault');
    expect('DEPLOYSTACK_SANDBOX', config.process.sandbox, 'none');
    expect(
      'DEPLOYSTACK_ALLOW_UNSANDBOXED (none is refused in production without it)',
      config.process.allowUnsandboxed,
      true,
    );
    expect('hostUsers', c.pod.hostUsers, undefined);
    expect('procMount', securityField(c, 'procMount'), undefined);
  } else {
    if (seccomp !== 'Unconfined' && seccomp !== 'Localhost')
      problems.push(
        `${c.where}: bwrap needs seccomp Unconfined or a Localhost profile, not ${seccomp}`,
      );
    expect('DEPLOYSTACK_SANDBOX', config.process.sandbox, 'bwrap');
    expect('DEPLOYSTACK_ALLOW_UNSANDBOXED', config.process.allowUnsandboxed, false);
    expect('hostUsers (procMount Unmasked requires it)', c.pod.hostUsers, false);
    expect('procMount', securityField(c, 'procMount'), 'Unmasked');
  }
  return problems;
}
