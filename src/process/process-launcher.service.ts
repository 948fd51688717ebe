import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { StdioServerDefinition } from '../config/server-definition.js';
import { type ChildRunHooks, ChildRun } from './child-run.js';
import { caTrustEnv, cleanEnv, nodeBinDir, resolveCommand } from './clean-env.js';
import { HostFs } from './host-fs.js';
import { installLimits, planRunner, runnerLimits } from './package-runner.js';
import { LeftoverSweeper } from './leftover-sweeper.service.js';
import { Clock } from '../events/clock.js';
import { SandboxUnavailableError } from './process.errors.js';
import { ProcessSpawner } from './process-spawner.js';
import { ProcessTuning } from './process-tuning.js';
import { SandboxNetwork } from './sandbox/sandbox-network.js';
import { SandboxSelector } from './sandbox/sandbox-selector.service.js';
import { TeamWorkspaces } from './team-workspaces.service.js';

/** Something that turns a definition into a running process tree (the supervisor's only way to fork). */
export interface ChildLauncher {
  launch(def: StdioServerDefinition, hooks: ChildRunHooks): ChildRun;
}

/**
 * Spawns one server: team workspace, clean environment, the sandbox driver's command line (and
 * cgroup), the spawn in its own process group, and an on-disk record for the leftover sweep.
 */
@Injectable()
export class ProcessLauncher implements ChildLauncher {
  constructor(
    private readonly config: SatelliteConfig,
    private readonly tuning: ProcessTuning,
    private readonly clock: Clock,
    private readonly spawner: ProcessSpawner,
    private readonly sandbox: SandboxSelector,
    private readonly workspaces: TeamWorkspaces,
    private readonly sweeper: LeftoverSweeper,
    private readonly fs: HostFs,
    private readonly network: SandboxNetwork,
  ) {}

  launch(def: StdioServerDefinition, hooks: ChildRunHooks): ChildRun {
    const { driver, refusal } = this.sandbox.choose();
    if (!driver) throw new SandboxUnavailableError(refusal ?? 'no sandbox driver');
    const workspace = this.workspaces.prepare(def.team, driver.usesTeamUid);
    const env = cleanEnv({
      nodeBinDir: nodeBinDir(process.execPath),
      home: workspace.dir,
      tmpDir: workspace.tmpDir,
      defEnv: def.env,
      trust: caTrustEnv(this.config.process.caTrust, (p) => this.fs.exists(p)),
    });
    const cwd = def.cwd ?? workspace.dir;
    if (driver.name === 'none' && def.network !== undefined)
      throw new SandboxUnavailableError(
        `the server sets "network", but the sandbox driver is "none", which enforces no network policy (it shares the host network); use bwrap or nsjail, or remove the setting`,
      );
    const command = resolveCommand(def.command, env.PATH ?? '', cwd, this.fs);
    if (!command.includes('/'))
      throw new SandboxUnavailableError(
        `command "${def.command}" is not installed on this host (searched ${env.PATH ?? ''})${installHint(def.command)}`,
      );
    const runner = planRunner({
      command,
      args: def.args,
      teamDir: workspace.dir,
      exists: (p) => this.fs.exists(p),
    });
    // A runner that stays resident beside its server (npx itself, uvx) gets room for itself.
    const limits = runnerLimits(this.config.process.limits, runner);
    const launch = driver.prepare({
      name: `${def.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64)}.${randomBytes(4).toString('hex')}`,
      command: runner.command,
      args: runner.args,
      env,
      cwd,
      ...(def.cwd ? { definitionCwd: def.cwd } : {}),
      workspace,
      limits: runner.installing ? installLimits(limits) : limits,
      network: this.network.effective(def.network),
      ...(def.mounts ? { mounts: def.mounts } : {}),
    });
    let run: ChildRun | undefined;
    try {
      const child = this.spawner.spawn(launch);
      const pgid = child.pid;
      if (pgid !== undefined) this.sweeper.record(pgid, def.id);
      run = new ChildRun(child, launch, {
        spawner: this.spawner,
        clock: this.clock,
        tuning: this.tuning,
        killGraceMs: this.config.process.killGraceMs,
        redact: redactor(def.secrets),
        hooks,
        installing: runner.installing,
        onReady: () => {
          if (!runner.installing) return;
          launch.cgroup?.setLimits(limits);
          if (runner.marker) this.fs.write(runner.marker, new Date().toISOString());
        },
        onGone: () => {
          launch.release?.();
          if (pgid !== undefined) this.sweeper.forget(pgid);
        },
      });
      return run;
    } catch (err) {
      if (!run) {
        launch.cgroup?.remove();
        launch.release?.();
      }
      throw err;
    }
  }
}

/** Where to get the package runners people put in their configs. */
function installHint(command: string): string {
  const hints: Record<string, string> = {
    uvx: ': install uv (Debian package or https://docs.astral.sh/uv/) so that uvx is in /usr/local/bin or /usr/bin',
    uv: ': install uv so that it is in /usr/local/bin or /usr/bin',
    python:
      ": install Python 3 (Debian package python3-minimal) or give the absolute path of a venv's python",
    python3:
      ": install Python 3 (Debian package python3-minimal) or give the absolute path of a venv's python",
    docker: ': docker cannot run inside the sandbox; run the server over HTTP instead',
  };
  return hints[command] ?? ': install it, or give its absolute path in "command"';
}

/** Masks the definition's secret values (env values) in stderr lines before they are logged. */
function redactor(secrets: readonly string[]): (s: string) => string {
  const list = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (line) =>
    list.reduce(
      (out, secret) => (out.includes(secret) ? out.split(secret).join('[REDACTED]') : out),
      line,
    );
}
