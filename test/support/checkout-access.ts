import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ROOT } from './upstreams.js';

/**
 * Why sandboxed servers cannot run this checkout's fixtures, or undefined when they can. A root
 * satellite runs each team under a uid of its own (docs/process.md), which must be able to walk
 * down to the checkout: a clone inside a private folder (`mktemp -d` makes it 0700) is out of its
 * reach, whatever the sandbox exposes.
 */
export function checkoutUnreachableByTeams(): string | undefined {
  if (process.geteuid?.() !== 0) return undefined; // no team uids: the satellite's own user runs them
  for (let dir = ROOT; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o777;
    if ((mode & 0o001) === 0)
      return `the checkout is out of reach of the team uids: ${dir} is mode ${mode.toString(8)} (clone it where other users can read)`;
    if (dir === dirname(dir)) return undefined;
  }
}
