import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { HostFs } from './host-fs.js';

export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The whole environment of a server: PATH, HOME (its team directory), TMPDIR, LANG and what its
 * definition sets. Nothing of the satellite's own environment (tokens, keys) ever reaches it.
 * PATH starts with the satellite's own Node, so `node`/`npx` servers run on the same runtime.
 */
export function cleanEnv(input: {
  readonly nodeBinDir: string;
  readonly home: string;
  readonly tmpDir: string;
  readonly defEnv: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    PATH: `${input.nodeBinDir}:${SYSTEM_PATH}`,
    HOME: input.home,
    TMPDIR: input.tmpDir,
    LANG: 'C.UTF-8',
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
