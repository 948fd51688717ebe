import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import type { ResourceLimits } from '../config/satellite-config.js';

/**
 * Servers started through a package runner (docs/process.md, "Package runners").
 *
 * `npx [-y] <package>[@version] [args…]` is run as an install step followed by the package's
 * own bin: `npm install` into `<team dir>/.satellite/npx/<hash of the specs>` once (marked
 * `.installed` when it succeeded), then `exec` of the bin. So the second start, a restart or a
 * respawn from dormancy downloads nothing and works offline, and no npm process (~70 MB) stays
 * resident beside the server. Anything npx does that this does not recognise (git URLs, tarballs,
 * unknown flags) runs under npx itself, with its cache in the team directory.
 *
 * Other runners (`uvx`, `uv tool run`, `pipx run`, `bunx`, `pnpm dlx`, `yarn dlx`) run as they
 * are; their first start in a team counts as an install until it has answered once (a marker
 * under `<team dir>/.satellite/installed/`).
 *
 * A start that installs is reported as `installing`, bounded by the install timeout instead of
 * the handshake timeout, and runs with install limits (npm needs far more memory than a running
 * server) that are lowered to the configured ones once the server has answered.
 */
export interface RunnerPlan {
  readonly command: string;
  readonly args: readonly string[];
  /** This start downloads the package: `installing`, the install timeout, the install limits. */
  readonly installing: boolean;
  /**
   * A marker file to write once the server has answered (runners the satellite does not drive).
   * Such a runner stays resident as the server's parent, so it is given room beside it.
   */
  readonly marker?: string;
}

/** Memory a runner that stays resident beside its server (npm exec, uv) needs on top of it. */
export const RESIDENT_RUNNER_MB = 128;

/** The limits a server runs with once started: the configured ones, plus room for a resident runner. */
export function runnerLimits(limits: ResourceLimits, plan: RunnerPlan): ResourceLimits {
  return plan.marker === undefined
    ? limits
    : { ...limits, memoryMb: limits.memoryMb + RESIDENT_RUNNER_MB };
}

/** Runners whose first start is an install, by command name and leading arguments. */
const RUNNERS: ReadonlyArray<{ command: string; prefix?: readonly string[] }> = [
  { command: 'npx' },
  { command: 'uvx' },
  { command: 'uv', prefix: ['tool', 'run'] },
  { command: 'uv', prefix: ['run', '--with'] },
  { command: 'pipx', prefix: ['run'] },
  { command: 'bunx' },
  { command: 'pnpm', prefix: ['dlx'] },
  { command: 'yarn', prefix: ['dlx'] },
];

/** npx flags that change nothing here (no prompts: `yes` is always set; output goes to stderr). */
const NPX_NOOP_FLAGS = new Set(['-y', '--yes', '-q', '--quiet', '--silent', '--prefer-offline']);

/** An npm registry spec: `name`, `@scope/name`, each with an optional `@version|tag|range`. */
const REGISTRY_SPEC =
  /^((?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*)(?:@([A-Za-z0-9.^~<>=*|+ -]+))?$/;

/**
 * The script that runs an npx server: install once (as the team's uid, inside the sandbox,
 * output to stderr so the start error carries npm's reason), find the package's bin the way npx
 * does (the one named like the package, else the only one), and exec it.
 */
const NPX_SCRIPT = String.raw`
dir=$1 pkg=$2 bin=$3 specs=$4
shift 4
if [ ! -f "$dir/.installed" ]; then
  echo "installing $(echo "$specs" | tr '\n' ' ')into $dir" >&2
  mkdir -p "$dir" || exit 1
  ( IFS='
'; set -f; exec npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --omit=dev --loglevel=error $specs ) 1>&2 || { echo "npm install failed" >&2; exit 1; }
  : >"$dir/.installed"
fi
if [ -z "$bin" ]; then
  bin=$(node -e 'const p=require(process.argv[1]);const n=p.name.split("/").pop();const b=p.bin;process.stdout.write(typeof b==="string"?n:b?(b[n]?n:Object.keys(b).length===1?Object.keys(b)[0]:""):"")' "$dir/node_modules/$pkg/package.json") || exit 1
  [ -n "$bin" ] || { echo "package $pkg has no single command to run; name it with npx --package=$pkg <command>" >&2; exit 1; }
fi
exec "$dir/node_modules/.bin/$bin" "$@"
`;

export interface NpxInvocation {
  /** Registry specs to install, in order (`@scope/pkg@1.2.3`). */
  readonly specs: readonly string[];
  /** The package whose bin runs (the first spec's name), and the bin when named explicitly. */
  readonly pkg: string;
  readonly bin?: string;
  readonly args: readonly string[];
}

/** Reads `npx` arguments; undefined when they use anything this does not reproduce exactly. */
export function parseNpx(args: readonly string[]): NpxInvocation | undefined {
  const specs: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] ?? '';
    if (NPX_NOOP_FLAGS.has(a)) continue;
    if (a === '-p' || a === '--package') {
      const spec = args[++i];
      if (spec === undefined) return undefined;
      specs.push(spec);
    } else if (a.startsWith('--package=')) specs.push(a.slice('--package='.length));
    else break;
  }
  if (args[i] === '--') i++;
  const first = args[i];
  if (first === undefined || first.startsWith('-')) return undefined;
  if (specs.length === 0) specs.push(first);
  const names = specs.map((s) => REGISTRY_SPEC.exec(s)?.[1]);
  if (names.some((n) => n === undefined)) return undefined;
  const pkg = names[0] as string;
  const explicitBin = specs.length > 0 && specs[0] !== first;
  if (explicitBin && !/^[A-Za-z0-9@._-]+$/.test(first)) return undefined;
  return {
    specs,
    pkg,
    ...(explicitBin ? { bin: first } : {}),
    args: args.slice(i + 1),
  };
}

/** How to run `command args` for a team whose directory is `teamDir`. */
export function planRunner(input: {
  readonly command: string;
  readonly args: readonly string[];
  readonly teamDir: string;
  readonly exists: (path: string) => boolean;
}): RunnerPlan {
  const { command, args, teamDir } = input;
  const name = basename(command);
  const runner = RUNNERS.find(
    (r) => r.command === name && (r.prefix ?? []).every((p, i) => args[i] === p),
  );
  if (!runner) return { command, args, installing: false };
  const npx = name === 'npx' ? parseNpx(args) : undefined;
  if (npx) {
    const dir = join(teamDir, '.satellite', 'npx', hash(npx.specs.join('\n')));
    return {
      command: '/bin/sh',
      args: [
        '-c',
        NPX_SCRIPT,
        'npx',
        dir,
        npx.pkg,
        npx.bin ?? '',
        npx.specs.join('\n'),
        ...npx.args,
      ],
      installing: !input.exists(join(dir, '.installed')),
    };
  }
  const marker = join(teamDir, '.satellite', 'installed', hash([command, ...args].join('\0')));
  return { command, args, installing: !input.exists(marker), marker };
}

/** Limits while a package installs: npm and uv need far more than a running server. */
export function installLimits(limits: ResourceLimits): ResourceLimits {
  return {
    memoryMb: Math.max(limits.memoryMb, 1024),
    cpuCores: Math.max(limits.cpuCores, 1),
    maxProcesses: Math.max(limits.maxProcesses, 256),
    // RLIMIT_CPU is per process and stays with the server that the install step execs.
    cpuSeconds: limits.cpuSeconds,
  };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
