import type { WorkerState } from './snapshot.js';
import { Attempt, type Task } from './task.js';

/**
 * The worker slots: which attempt holds each, since when, and which ids are
 * free. Ids are reused most-recently-freed first (so sequential tasks stay
 * on worker 0) and never reach `size` or beyond while the pool is that size.
 */
export class WorkerPool {
  /** Slots held: running attempts, attempts still settling after a cancel or timeout, tasks waiting for a token. */
  active = 0;
  private readonly slots: (Attempt | undefined)[] = [];
  private readonly busySince: number[] = [];
  private freeIds: number[] = [];
  private nextId = 0;

  constructor(public size: number) {}

  get hasFree(): boolean {
    return this.active < this.size;
  }

  /** Give `task` a slot for its next attempt. */
  take(task: Task<unknown>): Attempt {
    const id = this.freeIds.pop() ?? this.nextId++;
    const attempt = new Attempt(task, id);
    attempt.attempt = task._ctx?.attempt ?? 0; // attempts made so far; `run` counts this one
    this.active++;
    this.slots[id] = attempt;
    this.busySince[id] = Number.NaN; // not running yet (waiting for a token): no busySince
    return attempt;
  }

  /** The attempt in slot `id` started running at `time`. */
  started(id: number, time: number): void {
    this.busySince[id] = time;
  }

  release(attempt: Attempt): void {
    const id = attempt.workerId;
    this.active--;
    this.slots[id] = undefined;
    if (id < this.size) this.freeIds.push(id);
    else this.trim();
  }

  /** Drop the free slots above a shrunk size: the snapshot then costs what the pool is now, not what it was. */
  private trim(): void {
    const { slots, busySince } = this;
    while (slots.length > this.size && slots[slots.length - 1] === undefined) {
      slots.pop();
      busySince.pop();
    }
    this.nextId = Math.min(this.nextId, Math.max(this.size, slots.length));
  }

  /** A live resize: free ids are those below the new size that are not busy (a shrink drops some; a grow brings them back). */
  resize(size: number): void {
    this.size = size;
    this.trim();
    this.freeIds = [];
    for (let id = Math.min(this.nextId, size) - 1; id >= 0; id--) {
      if (this.slots[id] === undefined) this.freeIds.push(id);
    }
  }

  /** Every attempt holding a slot. */
  attempts(): Attempt[] {
    return this.slots.filter((a): a is Attempt => a !== undefined);
  }

  /** One entry per slot: `size` of them when finite, plus busy slots above a shrunk size. */
  snapshot(): readonly WorkerState[] {
    const count = Number.isFinite(this.size) ? Math.max(this.size, this.slots.length) : this.nextId;
    const workers: WorkerState[] = [];
    for (let id = 0; id < count; id++) {
      const attempt = this.slots[id];
      if (attempt === undefined) {
        if (id < this.size) workers.push(Object.freeze({ id }));
        continue;
      }
      const task = attempt.task;
      const since = this.busySince[id] as number;
      workers.push(
        Object.freeze({
          id,
          taskId: task.id,
          ...(task.name !== undefined ? { taskName: task.name } : {}),
          ...(Number.isNaN(since) ? {} : { busySince: since }),
        }),
      );
    }
    return Object.freeze(workers);
  }
}
