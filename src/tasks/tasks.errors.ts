/** No task of this owner has this id (never had, expired, or another owner's). */
export class TaskNotFoundError extends Error {
  constructor(readonly taskId: string) {
    super(`Task not found: ${taskId}`);
    this.name = 'TaskNotFoundError';
  }
}

/** The task has ended already (cancel of a finished task). */
export class TaskEndedError extends Error {
  constructor(
    readonly taskId: string,
    readonly status: string,
  ) {
    super(`Task ${taskId} has already ended (${status})`);
    this.name = 'TaskEndedError';
  }
}

/** The owner holds as many tasks, or as many result bytes, as it may (docs/tasks.md "Limits"). */
export class TaskLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskLimitError';
  }
}
