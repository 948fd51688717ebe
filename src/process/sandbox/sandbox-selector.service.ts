import { Injectable, Logger } from '@nestjs/common';
import { SatelliteConfig } from '../../config/satellite-config.js';
import { BwrapSandbox } from './sandbox.bwrap.js';
import { CgroupManager } from './cgroup-manager.service.js';
import { HostProbe } from './host-probe.service.js';
import type { SandboxDriver, SandboxReport } from './sandbox-driver.js';
import { SandboxMounts } from './sandbox-mounts.js';
import { SandboxNetwork } from './sandbox-network.js';
import { NoneSandbox } from './sandbox.none.js';
import { NsjailSandbox } from './sandbox.nsjail.js';

export interface SandboxChoice {
  /** Undefined when stdio servers must not run (the reason is in `refusal`). */
  readonly driver?: SandboxDriver;
  readonly refusal?: string;
  readonly report: SandboxReport;
}

type Attempt =
  { driver: SandboxDriver; reason?: undefined } | { driver?: undefined; reason: string };

/**
 * Picks the sandbox driver from `DEPLOYSTACK_SANDBOX` (`auto`: the strongest that works here,
 * nsjail › bwrap › none) by really starting a trial sandbox. An explicitly named driver that does
 * not work, or `none` when unsandboxed servers are not allowed (the production default), is a
 * refusal: stdio servers then fail to start with that reason, HTTP servers are unaffected.
 */
@Injectable()
export class SandboxSelector {
  private readonly logger = new Logger(SandboxSelector.name);
  private choice?: SandboxChoice;

  constructor(
    private readonly config: SatelliteConfig,
    private readonly probe: HostProbe,
    private readonly cgroups: CgroupManager,
    private readonly mounts: SandboxMounts,
    private readonly network: SandboxNetwork,
  ) {}

  choose(): SandboxChoice {
    if (!this.choice) {
      this.choice = this.select();
      if (this.choice.driver) {
        const r = this.choice.report;
        this.logger.log(`sandbox driver ${r.driver}; enforced: ${r.enforced.join(', ')}`);
        for (const gap of r.notEnforced)
          this.logger.warn(`sandbox (${r.driver}) does not enforce ${gap.limit}: ${gap.reason}`);
      } else this.logger.error(`stdio servers will not start: ${this.choice.refusal}`);
    }
    return this.choice;
  }

  private select(): SandboxChoice {
    const wanted = this.config.process.sandbox;
    if (wanted === 'nsjail' || wanted === 'bwrap') {
      const attempt = wanted === 'nsjail' ? this.nsjail() : this.bwrap();
      return attempt.driver
        ? chosen(attempt.driver)
        : refused(`DEPLOYSTACK_SANDBOX=${wanted}, but ${attempt.reason}`);
    }
    const gaps: string[] = [];
    if (wanted === 'auto') {
      for (const attempt of [this.nsjail(), this.bwrap()]) {
        if (attempt.driver) return chosen(attempt.driver);
        gaps.push(attempt.reason);
      }
    }
    if (!this.config.process.allowUnsandboxed) {
      const why = gaps.length > 0 ? ` (no sandbox works here: ${gaps.join('; ')})` : '';
      return refused(
        `running stdio servers without a sandbox is refused${why}; install bubblewrap or nsjail, or set DEPLOYSTACK_ALLOW_UNSANDBOXED=true`,
      );
    }
    return chosen(new NoneSandbox());
  }

  private nsjail(): Attempt {
    const nsjail = this.probe.which('nsjail');
    if (!nsjail) return { reason: 'nsjail is not installed' };
    const trial = this.probe.trial(nsjail, [
      '--mode',
      'o',
      '--quiet',
      '--time_limit',
      '5',
      '--chroot',
      '/',
      '--',
      '/bin/true',
    ]);
    if (!trial.ok) return { reason: `nsjail does not work here (${trial.reason})` };
    return {
      driver: new NsjailSandbox(
        { nsjail, root: this.probe.isRoot() },
        this.cgroups,
        this.mounts,
        this.network,
      ),
    };
  }

  private bwrap(): Attempt {
    const bwrap = this.probe.which('bwrap');
    if (!bwrap) return { reason: 'bwrap (Debian package bubblewrap) is not installed' };
    const prlimit = this.probe.which('prlimit');
    const setpriv = this.probe.which('setpriv');
    const driver = new BwrapSandbox(
      {
        bwrap,
        root: this.probe.isRoot(),
        ...(prlimit ? { prlimit } : {}),
        ...(setpriv ? { setpriv } : {}),
      },
      this.cgroups,
      this.mounts,
      this.network,
    );
    const trial = this.probe.trial(bwrap, [
      ...driver.namespaceArgs(),
      '--ro-bind',
      '/',
      '/',
      '--',
      '/bin/true',
    ]);
    if (!trial.ok) return { reason: `bwrap cannot create namespaces here (${trial.reason})` };
    return { driver };
  }
}

function chosen(driver: SandboxDriver): SandboxChoice {
  return { driver, report: driver.report() };
}

function refused(reason: string): SandboxChoice {
  return {
    refusal: reason,
    report: { driver: 'refused', enforced: [], notEnforced: [{ limit: 'sandbox', reason }] },
  };
}
