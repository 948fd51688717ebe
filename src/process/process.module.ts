import { Module } from '@nestjs/common';
import { HostFs } from './host-fs.js';
import { LeftoverSweeper } from './leftover-sweeper.service.js';
import { LifecycleReporter } from './lifecycle-reporter.service.js';
import { ProcTable } from './proc-table.js';
import { ResourceSampler } from './resource-sampler.js';
import { ProcessLauncher } from './process-launcher.service.js';
import { ProcessManagerService } from './process-manager.service.js';
import { ProcessSpawner } from './process-spawner.js';
import { ProcessTuning } from './process-tuning.js';
import { ServerOwner } from './server-owner.js';
import { CgroupManager } from './sandbox/cgroup-manager.service.js';
import { HostProbe } from './sandbox/host-probe.service.js';
import { SandboxNetwork } from './sandbox/sandbox-network.js';
import { SandboxMounts } from './sandbox/sandbox-mounts.js';
import { SandboxSelector } from './sandbox/sandbox-selector.service.js';
import { TeamWorkspaces } from './team-workspaces.service.js';

/**
 * stdio MCP servers as supervised, sandboxed child processes. Depends only on the global
 * SatelliteConfig and EventBusService providers.
 */
@Module({
  providers: [
    { provide: ProcessTuning, useValue: new ProcessTuning() },
    ProcTable,
    ResourceSampler,
    HostFs,
    ProcessSpawner,
    CgroupManager,
    HostProbe,
    SandboxMounts,
    SandboxNetwork,
    SandboxSelector,
    TeamWorkspaces,
    LeftoverSweeper,
    LifecycleReporter,
    ProcessLauncher,
    ProcessManagerService,
    // The one owner of every server's life, shared with discovery's upstream manager.
    ServerOwner,
  ],
  exports: [ProcessManagerService, ServerOwner],
})
export class ProcessModule {}
