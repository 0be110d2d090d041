import { reportError } from './future.js';
import type { TaskEvent, TaskEventType } from './snapshot.js';
import type { Task } from './task.js';
import { now } from './time.js';

/** The `onEvent` listeners of an executor: each task event delivered synchronously; callers build one only while `listening`. */
export class TaskEvents {
  /** One entry per registration (the same function twice is called twice), removed in O(1). */
  private readonly listeners = new Set<(event: TaskEvent) => void>();
  /** Someone listens: a plain field, so the executor's hot path checks it without a call. */
  listening = false;

  on(listener: (event: TaskEvent) => void): () => void {
    const entry = (event: TaskEvent) => listener(event);
    this.listeners.add(entry);
    this.listening = true;
    return () => {
      this.listeners.delete(entry);
      this.listening = this.listeners.size > 0;
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
