import { describe, expect, it } from '@jest/globals';
import { InMemoryHostFs } from '../../../test/process/support/in-memory-host-fs.js';
import { debianHost } from '../../../test/process/support/sandbox-host.js';
import { SatelliteConfig, type SandboxDriverName } from '../../config/satellite-config.js';
import { HostProbe, type ProbeResult } from './host-probe.service.js';
import { SandboxSelector } from './sandbox-selector.service.js';

class FakeProbe extends HostProbe {
  constructor(
    private readonly tools: Record<string, ProbeResult>,
    private readonly root = true,
  ) {
    super(new InMemoryHostFs());
  }
  override which(name: string): string | undefined {
    return name in this.tools || name === 'prlimit' || name === 'setpriv'
      ? `/usr/bin/${name}`
      : undefined;
  }
  override isRoot(): boolean {
    return this.root;
  }
  override trial(command: string): ProbeResult {
    return this.tools[command.split('/').pop()!] ?? { ok: false, reason: 'missing' };
  }
}

function select(opts: {
  sandbox: SandboxDriverName;
  env?: 'production' | 'development';
  allowUnsandboxed?: boolean;
  tools: Record<string, ProbeResult>;
}) {
  const { cgroups, mounts, network } = debianHost();
  const config = Object.assign(new SatelliteConfig(), {
    env: opts.env ?? 'development',
    dataDir: '/data',
    process: {
      sandbox: opts.sandbox,
      allowUnsandboxed: opts.allowUnsandboxed ?? opts.env !== 'production',
    },
  });
  return new SandboxSelector(config, new FakeProbe(opts.tools), cgroups, mounts, network).choose();
}

const works = { ok: true };
const broken = { ok: false, reason: 'bwrap: setting up uid map: Permission denied' };

describe('SandboxSelector', () => {
  it('auto picks the strongest driver that really starts: nsjail, then bwrap, then none', () => {
    expect(select({ sandbox: 'auto', tools: { nsjail: works, bwrap: works } }).driver?.name).toBe(
      'nsjail',
    );
    expect(select({ sandbox: 'auto', tools: { nsjail: broken, bwrap: works } }).driver?.name).toBe(
      'bwrap',
    );
    expect(select({ sandbox: 'auto', tools: { bwrap: broken } }).driver?.name).toBe('none');
  });

  it('in production, refuses to run unsandboxed unless explicitly allowed, and says why', () => {
    const refused = select({ sandbox: 'auto', env: 'production', tools: { bwrap: broken } });
    expect(refused.driver).toBeUndefined();
    expect(refused.refusal).toMatch(
      /refused \(no sandbox works here: nsjail is not installed; bwrap cannot create namespaces here \(bwrap: setting up uid map/,
    );
    expect(refused.report).toMatchObject({ driver: 'refused', enforced: [] });
    expect(select({ sandbox: 'none', env: 'production', tools: {} }).driver).toBeUndefined();
    expect(
      select({ sandbox: 'none', env: 'production', allowUnsandboxed: true, tools: {} }).driver
        ?.name,
    ).toBe('none');
  });

  it('an explicitly configured driver that does not work is a refusal, not a silent downgrade', () => {
    const choice = select({ sandbox: 'bwrap', tools: { bwrap: broken } });
    expect(choice.driver).toBeUndefined();
    expect(choice.refusal).toMatch(
      /^DEPLOYSTACK_SANDBOX=bwrap, but bwrap cannot create namespaces/,
    );
    expect(select({ sandbox: 'nsjail', tools: {} }).refusal).toBe(
      'DEPLOYSTACK_SANDBOX=nsjail, but nsjail is not installed',
    );
  });

  it('the none driver reports every limit as not enforced', () => {
    const { report } = select({ sandbox: 'none', tools: {} });
    expect(report.enforced).toEqual(['process_group', 'clean_env']);
    expect(report.notEnforced.map((g) => g.limit)).toEqual([
      'memory',
      'cpu',
      'pids',
      'cpu_time',
      'namespaces',
      'no_network',
      'team_uid',
    ]);
  });
});
