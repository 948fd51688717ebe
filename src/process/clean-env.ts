import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CA_TRUST_VARS } from '../config/satellite-config.js';
import type { HostFs } from './host-fs.js';

export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Package runners (npx, uvx, pip) keep their caches in the team directory (HOME), so a second
 * start, a restart or a respawn from dormancy installs nothing again and works offline once
 * cached: npm reuses cached metadata without asking the registry (`prefer-offline`) and never
 * prompts (`yes`); uv and pip cache under `$HOME/.cache`. A definition's own env wins.
 */
export function packageRunnerEnv(home: string): Record<string, string> {
  return {
    npm_config_cache: `${home}/.npm`,
    npm_config_prefix: `${home}/.npm-global`,
    npm_config_prefer_offline: 'true',
    npm_config_yes: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    XDG_CACHE_HOME: `${home}/.cache`,
    UV_CACHE_DIR: `${home}/.cache/uv`,
    UV_TOOL_DIR: `${home}/.local/share/uv/tools`,
    UV_PYTHON_INSTALL_DIR: `${home}/.local/share/uv/python`,
    PIP_CACHE_DIR: `${home}/.cache/pip`,
  };
}

/** Where Debian (and Ubuntu, Alpine with ca-certificates) keep the system's trusted CAs. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * Which CAs a server trusts: the satellite's own CA settings (paths, never secrets) when it has
 * them, else the host's system bundle. Node and Python's requests ignore the system store by
 * default, so without this a host behind a TLS-inspecting proxy or with a private CA (common in
 * companies) could reach nothing over HTTPS from a sandbox although the host can.
 */
export function caTrustEnv(
  hostEnv: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CA_TRUST_VARS) {
    const value = hostEnv[name];
    if (value && exists(value)) out[name] = value;
  }
  if (Object.keys(out).length === 0 && exists(SYSTEM_CA_BUNDLE)) {
    out.NODE_EXTRA_CA_CERTS = SYSTEM_CA_BUNDLE;
    out.SSL_CERT_FILE = SYSTEM_CA_BUNDLE;
    out.REQUESTS_CA_BUNDLE = SYSTEM_CA_BUNDLE;
  }
  return out;
}

/**
 * The whole environment of a server: PATH, HOME (its team directory), TMPDIR, LANG, the package
 * runners' cache locations, the CA trust settings and what its definition sets. Nothing of the satellite's own
 * environment (tokens, keys) ever reaches it. PATH starts with the satellite's own Node, so
 * `node`/`npx` servers run on the same runtime.
 */
export function cleanEnv(input: {
  readonly nodeBinDir: string;
  readonly home: string;
  readonly tmpDir: string;
  readonly defEnv: Readonly<Record<string, string>>;
  /** From caTrustEnv. */
  readonly trust?: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    PATH: `${input.nodeBinDir}:${SYSTEM_PATH}`,
    HOME: input.home,
    TMPDIR: input.tmpDir,
    LANG: 'C.UTF-8',
    ...packageRunnerEnv(input.home),
    ...input.trust,
    ...input.defEnv,
  };
}

/** Resolves a bare command name on PATH the way execvp will (host view); unresolved names stay as they are. */
export function resolveCommand(command: string, pathVar: string, cwd: string, fs: HostFs): string {
  if (command.includes('/')) return isAbsolute(command) ? command : resolve(cwd, command);
  for (const dir of pathVar.split(':')) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, command);
    const kind = fs.kind(candidate);
    if (kind === 'file' || kind === 'symlink') return candidate;
  }
  return command;
}

export function nodeBinDir(execPath: string): string {
  return dirname(execPath);
}
