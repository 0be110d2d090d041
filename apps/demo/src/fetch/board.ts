import { type AsyncExecutor, HttpError, type TaskEvent } from '@fanout/core';

/** What the board reads from the executor: its events, and its snapshot's `retrying` count when it changes. */
export type BoardSource = Pick<AsyncExecutor, 'onEvent' | 'subscribe' | 'getSnapshot'>;

export type ItemState = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

/** One retry as the executor reported it. */
export interface RetryEntry {
  readonly seq: number;
  readonly item: number | undefined;
  readonly attempt: number;
  /** `HTTP 429`, `HTTP 503`, or the error's message */
  readonly reason: string;
  /** what the server asked for through `Retry-After`, if it did */
  readonly retryAfterMs: number | undefined;
  /** the wait the executor chose (never below `retryAfterMs`) */
  readonly delayMs: number;
}

export interface BoardSnapshot {
  readonly states: readonly ItemState[];
  readonly retries: number;
  readonly rateLimited: number;
  readonly serverErrors: number;
  /** retries that waited for a `Retry-After` */
  readonly retryAfterWaits: number;
  readonly retryAfterTotalMs: number;
  /** items waiting now for a `Retry-After` */
  readonly waitingOnRetryAfter: number;
  /** the latest retries, newest first */
  readonly log: readonly RetryEntry[];
}

const LOG_SIZE = 30;

/**
 * What the fetch panel draws per item and per retry, gathered from the
 * executor's events (`started`, `retry`, …). The map function binds each task
 * to its item (`ctx.taskId`), since events carry task ids. A plain external
 * store: the snapshot is rebuilt lazily, when read after a change.
 *
 * A retrying task goes back to the queue when its delay ends, with no event:
 * the board learns it from the executor's snapshot, whose `retrying` count
 * drops then. It moves that many of its retrying tasks, those due first
 * (`at + delayMs` of their `retry` event), back to `queued`, so its cells and
 * "waiting on Retry-After" agree with the executor's counts.
 */
export class Board {
  private readonly taskOf: (number | undefined)[];
  private readonly itemOf = new Map<number, number>();
  private readonly taskState = new Map<number, ItemState>();
  private readonly onRetryAfter = new Set<number>();
  /** tasks in their retry delay, and when it ends (`at + delayMs` of their `retry` event) */
  private readonly retryDue = new Map<number, number>();
  private source: BoardSource | undefined;
  private retries = 0;
  private rateLimited = 0;
  private serverErrors = 0;
  private retryAfterWaits = 0;
  private retryAfterTotalMs = 0;
  private log: RetryEntry[] = [];
  private snapshot: BoardSnapshot | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly total: number) {
    this.taskOf = new Array<number | undefined>(total).fill(undefined);
  }

  /** Listen to `executor`'s events and snapshot; returns the unsubscribe function. */
  attach(executor: BoardSource): () => void {
    this.source = executor;
    const offEvents = executor.onEvent(this.onEvent);
    const offSnapshot = executor.subscribe(this.requeued);
    return () => {
      offEvents();
      offSnapshot();
      if (this.source === executor) this.source = undefined;
    };
  }

  /** Called by the map function: task `taskId` is item `item`. */
  bind(taskId: number, item: number): void {
    if (this.taskOf[item] === taskId) return;
    this.taskOf[item] = taskId;
    this.itemOf.set(taskId, item);
    this.changed();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): BoardSnapshot => {
    this.snapshot ??= this.build();
    return this.snapshot;
  };

  private readonly onEvent = (event: TaskEvent): void => {
    const id = event.taskId;
    switch (event.type) {
      case 'queued':
        this.taskState.set(id, 'queued');
        break;
      case 'started':
        this.taskState.set(id, 'running');
        this.onRetryAfter.delete(id);
        this.retryDue.delete(id);
        break;
      case 'retry': {
        this.taskState.set(id, 'retrying');
        this.retryDue.set(id, event.at + (event.delayMs ?? 0));
        this.retries++;
        const error = event.error;
        const status = error instanceof HttpError ? error.status : undefined;
        if (status === 429) this.rateLimited++;
        else if (status !== undefined && status >= 500) this.serverErrors++;
        const retryAfterMs = error instanceof HttpError ? error.retryAfterMs : undefined;
        if (retryAfterMs !== undefined) {
          this.retryAfterWaits++;
          this.retryAfterTotalMs += event.delayMs ?? 0;
          this.onRetryAfter.add(id);
        }
        const entry: RetryEntry = {
          seq: this.retries,
          item: this.itemOf.get(id),
          attempt: event.attempt,
          reason: status !== undefined ? `HTTP ${status}` : error instanceof Error ? error.message : String(error),
          retryAfterMs,
          delayMs: event.delayMs ?? 0,
        };
        this.log = [entry, ...this.log.slice(0, LOG_SIZE - 1)];
        break;
      }
      default:
        this.taskState.set(id, event.type);
        this.onRetryAfter.delete(id);
        this.retryDue.delete(id);
    }
    this.changed();
  };

  /**
   * The executor's snapshot changed: if it counts fewer tasks retrying than the board does, the
   * difference ended their delay and went back to the queue (events have told the board of every
   * other way out of `retrying` already, since they are synchronous and snapshot notices come after).
   */
  private readonly requeued = (): void => {
    const retrying = this.source?.getSnapshot().retrying;
    if (retrying === undefined || this.retryDue.size <= retrying) return;
    const due = [...this.retryDue].sort((a, b) => a[1] - b[1]);
    for (const [id] of due.slice(0, this.retryDue.size - retrying)) {
      this.retryDue.delete(id);
      this.onRetryAfter.delete(id);
      this.taskState.set(id, 'queued');
    }
    this.changed();
  };

  private changed(): void {
    this.snapshot = undefined;
    for (const listener of [...this.listeners]) listener();
  }

  private build(): BoardSnapshot {
    const states: ItemState[] = new Array<ItemState>(this.total);
    for (let i = 0; i < this.total; i++) {
      const task = this.taskOf[i];
      states[i] = (task === undefined ? undefined : this.taskState.get(task)) ?? 'queued';
    }
    return Object.freeze({
      states,
      retries: this.retries,
      rateLimited: this.rateLimited,
      serverErrors: this.serverErrors,
      retryAfterWaits: this.retryAfterWaits,
      retryAfterTotalMs: this.retryAfterTotalMs,
      waitingOnRetryAfter: this.onRetryAfter.size,
      log: this.log,
    });
  }
}
