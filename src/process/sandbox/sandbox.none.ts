import {
  LIMIT_FEATURES,
  type SandboxDriver,
  type SandboxLaunch,
  type SandboxReport,
  type SandboxRequest,
} from './sandbox-driver.js';

/**
 * Development driver: a plain spawn. Still its own process group (the whole tree is terminated)
 * and still a clean environment (a server never inherits the satellite's secrets); no limits and
 * no isolation between teams beyond directory permissions.
 */
export class NoneSandbox implements SandboxDriver {
  readonly name = 'none' as const;
  readonly usesTeamUid = false;

  report(): SandboxReport {
    const reason = 'the none driver (development) applies no limits';
    return {
      driver: this.name,
      enforced: ['process_group', 'clean_env'],
      notEnforced: [
        ...LIMIT_FEATURES.map((limit) => ({ limit, reason })),
        {
          limit: 'namespaces',
          reason:
            'the none driver does not isolate: a server sees the host filesystem and processes',
        },
        {
          limit: 'no_network',
          reason: 'the none driver shares the host network, loopback ports included',
        },
        { limit: 'team_uid', reason: 'the none driver runs every server as the satellite user' },
      ],
    };
  }

  prepare(req: SandboxRequest): SandboxLaunch {
    return { command: req.command, args: req.args, env: req.env, cwd: req.cwd };
  }
}
