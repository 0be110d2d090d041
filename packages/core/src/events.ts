import { reportError } from './future.js';
import type { TaskEvent, TaskEventType } from './snapshot.js';
import type { Task } from './task.js';
import { now } from './time.js';

/** The `onEvent` listeners of an executor: each task event delivered synchronously; callers build one only while `listening`. */
export class TaskEvents {
  private readonly listeners: ((event: TaskEvent) => void)[] = [];
  /** Someone listens: a plain field, so the executor's hot path checks it without a call. */
  listening = false;

  on(listener: (event: TaskEvent) => void): () => void {
    this.listeners.push(listener);
    this.listening = true;
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
      this.listening = this.listeners.length > 0;
    };
  }

  emit(
    type: TaskEventType,
    task: Task<unknown>,
    workerId: number | undefined,
    error?: unknown,
    delayMs?: number,
  ): void {
    const event: TaskEvent = {
      type,
      taskId: task.id,
      name: task.name,
      workerId: type === 'started' ? task._ctx?.workerId : workerId,
      attempt: task.attempt,
      at: now(),
      ...(error !== undefined || type === 'failed' || type === 'cancelled' || type === 'retry' ? { error } : {}),
      ...(delayMs !== undefined ? { delayMs } : {}),
    };
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (e) {
        reportError(e);
      }
    }
  }
}
