/** One worker slot in a snapshot. A busy worker names its task. */
export interface WorkerState {
  readonly id: number;
  readonly taskId?: number;
  readonly taskName?: string;
  /** `Date.now()` when the attempt in this slot started; absent while its task holds the slot waiting for a rate-limit token. */
  readonly busySince?: number;
}

/** The executor's observable state: immutable, and the same object until something changes. */
export interface ExecutorSnapshot {
  readonly name: string | undefined;
  readonly maxWorkers: number;
  readonly paused: boolean;
  readonly shutdown: boolean;
  /** Tasks waiting to start (including those waiting for a rate-limit token or a semaphore permit). */
  readonly queued: number;
  /** Tasks whose attempt is running. */
  readonly running: number;
  /** Tasks waiting between attempts (they hold no worker). */
  readonly retrying: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Every task ever submitted: queued + running + retrying + succeeded + failed + cancelled. */
  readonly submitted: number;
  /** One entry per worker slot (`maxWorkers` of them when finite). */
  readonly workers: readonly WorkerState[];
  /** The executor's rate limiter, when it has one. */
  readonly rateLimit?: { readonly tokens: number; readonly nextTokenAt: number | undefined };
}

/** The kinds of {@link TaskEvent}. */
export type TaskEventType = 'queued' | 'started' | 'retry' | 'succeeded' | 'failed' | 'cancelled';

/** One step in a task's life, delivered to `onEvent` listeners as it happens. */
export interface TaskEvent {
  readonly type: TaskEventType;
  readonly taskId: number;
  readonly name: string | undefined;
  /** The worker slot, for `started` (and for the end of an attempt that ran). */
  readonly workerId: number | undefined;
  /** The attempt this event belongs to (0 before the first start). */
  readonly attempt: number;
  /** `Date.now()` when it happened. */
  readonly at: number;
  /** The failure, for `retry`, `failed` and `cancelled`. */
  readonly error?: unknown;
  /** The wait before the next attempt, for `retry`. */
  readonly delayMs?: number;
}
