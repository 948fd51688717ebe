import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { ExtensionTasksApi } from './extension-tasks.api.js';
import { LegacyTasksBinder } from './legacy-tasks.binder.js';
import { TASKS_API } from './task-api.js';
import { TaskStore } from './task.store.js';
import { TASK_STORE, TasksService } from './tasks.service.js';

/** The task store inside the data directory (locked by DataDirLock before any module opens it). */
export const TASKS_FILE = 'tasks.sqlite';

/**
 * Tool calls run as tasks (docs/tasks.md): one engine (TasksService) with its store in the data
 * directory, and the two wires on it: 2025-11-25 experimental tasks on /mcp (LegacyTasksBinder)
 * and the 2026-07-28 Tasks extension (TASKS_API, for the new-era dispatcher).
 */
@Module({
  providers: [
    {
      provide: TASK_STORE,
      useFactory: (config: SatelliteConfig) => new TaskStore(join(config.dataDir, TASKS_FILE)),
      inject: [SatelliteConfig],
    },
    TasksService,
    LegacyTasksBinder,
    ExtensionTasksApi,
    { provide: TASKS_API, useExisting: ExtensionTasksApi },
  ],
  exports: [TASKS_API, LegacyTasksBinder, TasksService],
})
export class TasksModule {}
