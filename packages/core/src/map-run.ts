import { CancelledError, ExecutorShutdownError } from './errors.js';
import type { AsyncExecutor } from './executor.js';
import type { AsyncFuture, FutureState } from './future.js';
import { asError, mapAll } from './map.js';
import { Notifier } from './notify.js';
import type { MapOptions } from './options.js';
import { RateLimiter, toRateLimiter } from './rate-limiter.js';
import { callerSignals } from './signals.js';
import type { MapFn, Task } from './task.js';
import { now } from './time.js';
import { checkFunction, checkSignal } from './validate.js';

/** Where a {@link MapRun} is. */
export type MapRunStatus = 'idle' | 'running' | 'success' | 'error' | 'cancelled';

/** Counts of a run's items by where they are. */
export interface MapRunProgress {
  /** Items known so far (all of them for an array). */
  readonly total: number;
  /** Items finished (succeeded or failed). */
  readonly done: number;
  readonly failed: number;
  readonly running: number;
  readonly queued: number;
  readonly retrying: number;
}

/** One finished item, in completion order. */
export interface CompletedItem<I, R> {
  readonly index: number;
  readonly item: I;
  readonly value?: R;
  readonly error?: unknown;
  /** `Date.now()` when it finished. */
  readonly at: number;
}

/** The observable state of a {@link MapRun}: immutable, replaced on change. `Result`: what `results` holds (`R | Error` with `returnExceptions`). */
export interface MapRunSnapshot<I, R, Result = R> {
  readonly status: MapRunStatus;
  /**
   * `results[i]` is set as soon as item `i` succeeds (holes until then; the array reaches as far as
   * the highest item finished). With `returnExceptions`, `results[i]` also holds the error, as `map` puts it (a thrown non-Error wrapped in an Error, its `cause`).
   */
  readonly results: readonly (Result | undefined)[];
  /** `errors[i]` is set when item `i` failed (after its retries) or was cancelled. */
  readonly errors: readonly unknown[];
  /** `attempts[i]`: attempts started for item `i` so far. */
  readonly attempts: readonly number[];
  /** `states[i]`: where item `i` is (`undefined` before it was pulled). */
  readonly states: readonly (FutureState | undefined)[];
  /** Finished items in completion order. */
  readonly completed: readonly CompletedItem<I, R>[];
  readonly progress: MapRunProgress;
  /** The error that ended the run (`status: 'error'` or `'cancelled'`). */
  readonly error: unknown;
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
}

const EMPTY_PROGRESS: MapRunProgress = Object.freeze({
  total: 0,
  done: 0,
  failed: 0,
  running: 0,
  queued: 0,
  retrying: 0,
});

/** The snapshot of a run that has not started: also the server snapshot of the React hooks. */
export function idleMapRunSnapshot<I, R>(total = 0): MapRunSnapshot<I, R> {
  return Object.freeze({
    status: 'idle',
    results: [],
    errors: [],
    attempts: [],
    states: [],
    completed: [],
    progress: total === 0 ? EMPTY_PROGRESS : Object.freeze({ ...EMPTY_PROGRESS, total }),
    error: undefined,
    startedAt: undefined,
    finishedAt: undefined,
  });
}

/**
 * One `map` call whose progress can be watched: per-item results, errors,
 * attempts and states, and completion order — the state the React hooks
 * render, computed here so that they only subscribe. Notifications are
 * batched per microtask; the snapshot is rebuilt only when read after a change.
 *
 * @example
 * const run = new MapRun(executor, (id, { signal }) => fetchUser(id, signal), ids, { retries: 2 });
 * run.subscribe(() => render(run.getSnapshot().progress));
 * run.start();
 */
/** A run's results with options `O`: `R`, or `R | Error` unless `returnExceptions` is known to be `false` (as `map` types them). */
export type MapRunResult<R, O> = O extends MapOptions & { returnExceptions?: false | undefined } ? R : R | Error;

export class MapRun<I, R, const O extends MapOptions = { returnExceptions?: false | undefined }> {
  private status: MapRunStatus = 'idle';
  private readonly items: I[] = [];
  private readonly futures: AsyncFuture<unknown>[] = [];
  private readonly completed: CompletedItem<I, R>[] = [];
  private readonly results: (R | undefined)[] = [];
  private readonly errors: unknown[] = [];
  private error: unknown = undefined;
  private startedAt: number | undefined;
  private finishedAt: number | undefined;
  private total: number;
  private snapshot: MapRunSnapshot<I, R>;
  private dirty = false;
  private readonly notifier = new Notifier();
  private readonly controller = new AbortController();
  private unsubscribe: (() => void) | undefined;
  /** `options.signal` aborting aborts the run's own signal (a member of `callerSignals`, like every caller's signal). */
  private readonly onAbort = { cancel: (reason: unknown) => this.controller.abort(reason) };
  private promise: Promise<MapRunResult<R, O>[]> | undefined;
  /** The limiter built from `options.rateLimit` given as options (a given `RateLimiter` is used as it is). */
  private readonly ownLimiter: RateLimiter | undefined;

  /**
   * @param follows the run this one replaces (a hook's restart): when `options.rateLimit` is options
   * with the same `limit`, `interval` and `burst` as that run's, this run takes over its limiter, so
   * a component's runs share one bucket — restarting does not start a full one.
   */
  constructor(
    private readonly executor: AsyncExecutor,
    private readonly fn: MapFn<I, R>,
    private readonly source: Iterable<I> | AsyncIterable<I>,
    private readonly options: O = {} as O,
    follows?: MapRun<I, R, MapOptions>,
  ) {
    checkFunction('fn', fn);
    this.total = Array.isArray(source) ? source.length : 0;
    this.snapshot = idleMapRunSnapshot(this.total);
    const limits = options.rateLimit;
    if (limits !== undefined && !(limits instanceof RateLimiter)) {
      const limiter = toRateLimiter(limits, 'rateLimit');
      const prev = follows?.ownLimiter;
      const same = prev?.limit === limiter.limit && prev.interval === limiter.interval && prev.burst === limiter.burst;
      this.ownLimiter = same ? prev : limiter;
    }
  }

  /** Start the run (once; later calls return the same promise). The promise never rejects unhandled: a failure also shows in the snapshot. */
  start(): Promise<MapRunResult<R, O>[]> {
    if (this.promise !== undefined) return this.promise;
    if (this.executor.getSnapshot().shutdown) {
      return this.refuse('error', new ExecutorShutdownError('executor is shut down: cannot start a map run'));
    }
    const external = this.options.signal;
    if (external !== undefined) checkSignal('signal', external); // the run's own signal goes to prepare()
    if (external?.aborted) this.controller.abort(external.reason);
    // Bad options or items throw here, before anything is listened to.
    const p = this.executor.prepare(this.fn, this.source, {
      ...this.options,
      signal: this.controller.signal,
      rateLimit: this.ownLimiter ?? this.options.rateLimit,
    });
    if (external !== undefined && !external.aborted) callerSignals.add(external, this.onAbort);
    p.observe = (index, item, future) => {
      this.items[index] = item as I;
      this.futures[index] = future;
      if (index >= this.total) this.total = index + 1;
      future.addDoneCallback(this.onItemDone);
      this.changed();
    };
    this.status = 'running';
    this.startedAt = now();
    this.unsubscribe = this.executor.subscribe(this.changed);
    // Settles after finish() has queued its notification: a subscriber removed once `start()` settles has
    // seen the run's end. Handled here too, so a failure nobody awaits is no unhandled rejection.
    const promise = (mapAll(p) as Promise<MapRunResult<R, O>[]>).then(
      (results) => {
        this.finish('success', undefined);
        return results;
      },
      (error: unknown) => {
        this.finish(error instanceof CancelledError ? 'cancelled' : 'error', error);
        throw error;
      },
    );
    promise.then(undefined, () => {});
    this.promise = promise;
    this.changed();
    return promise;
  }

  /** Cancel the run: in-flight items are cancelled (their signals abort), the run ends as `'cancelled'`. */
  cancel(reason?: unknown): void {
    const error = reason ?? new CancelledError('map run cancelled');
    // Cancelled before it started: it never starts (`start()` returns this end).
    if (this.status === 'idle') void this.refuse('cancelled', error);
    else this.controller.abort(error);
  }

  /** End the run before it starts, as `status` with `error`: `start()` returns the rejection, handled. */
  private refuse(status: MapRunStatus, error: unknown): Promise<MapRunResult<R, O>[]> {
    this.promise = Promise.reject(error);
    this.promise.catch(() => {});
    this.status = 'running';
    this.finish(status, error);
    return this.promise;
  }

  /** Bound: pass it bare to `useSyncExternalStore`. */
  readonly subscribe = (listener: () => void): (() => void) => this.notifier.subscribe(listener);

  /** Bound. The same object until something changes. */
  readonly getSnapshot = (): MapRunSnapshot<I, R, MapRunResult<R, O>> => {
    if (this.dirty) {
      this.dirty = false;
      this.snapshot = this.build();
    }
    return this.snapshot as MapRunSnapshot<I, R, MapRunResult<R, O>>;
  };

  /** Listeners attached now. */
  get subscriberCount(): number {
    return this.notifier.size;
  }

  private readonly onItemDone = (future: AsyncFuture<unknown>): void => {
    const task = future as Task<unknown>;
    const index = task._tag;
    const item = this.items[index] as I;
    const at = now();
    if (task.state === 'succeeded') {
      const value = task._outcome as R;
      this.results[index] = value;
      this.completed.push(Object.freeze({ index, item, value, at }));
    } else {
      const error = task._outcome;
      this.errors[index] = error;
      if (this.options.returnExceptions) this.results[index] = asError(task) as R; // as map puts it
      this.completed.push(Object.freeze({ index, item, error, at }));
    }
    this.changed();
  };

  private finish(status: MapRunStatus, error: unknown): void {
    if (this.status !== 'running') return;
    if (status === 'success') this.total = this.futures.length; // every item ran: an array shortened meanwhile had fewer
    this.status = status;
    this.error = error;
    this.finishedAt = now();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.options.signal !== undefined) callerSignals.delete(this.options.signal, this.onAbort);
    this.changed();
  }

  private readonly changed = (): void => {
    this.dirty = true;
    this.notifier.notify();
  };

  private build(): MapRunSnapshot<I, R> {
    let done = 0;
    let failed = 0;
    let running = 0;
    let queued = 0;
    let retrying = 0;
    const states: (FutureState | undefined)[] = [];
    const attempts: number[] = [];
    for (let i = 0; i < this.futures.length; i++) {
      const f = this.futures[i];
      if (f === undefined) {
        states.push(undefined);
        attempts.push(0);
        continue;
      }
      const s = f.state;
      states.push(s);
      attempts.push(f.attempt);
      if (s === 'succeeded') done++;
      else if (s === 'failed' || s === 'cancelled') {
        done++;
        failed++;
      } else if (s === 'running') running++;
      else if (s === 'retrying') retrying++;
      else queued++;
    }
    // Items not pulled from the source yet wait like queued ones, while the run goes on (an ended run starts no more).
    if (this.status === 'running') queued += Math.max(0, this.total - this.futures.length);
    // The run hears of every change on its executor, most of them other tasks': if none of its own items
    // moved, the snapshot stays the same object (results and errors change only with `completed`).
    const prev = this.snapshot;
    if (
      prev.status === this.status &&
      prev.error === this.error &&
      prev.startedAt === this.startedAt &&
      prev.finishedAt === this.finishedAt &&
      prev.progress.total === this.total &&
      prev.completed.length === this.completed.length &&
      sameElements(prev.states, states) &&
      sameElements(prev.attempts, attempts)
    ) {
      return prev;
    }
    return Object.freeze({
      status: this.status,
      results: Object.freeze(this.results.slice()),
      errors: Object.freeze(this.errors.slice()),
      attempts: Object.freeze(attempts),
      states: Object.freeze(states),
      completed: Object.freeze(this.completed.slice()),
      progress: Object.freeze({ total: this.total, done, failed, running, queued, retrying }),
      error: this.error,
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
    });
  }
}

function sameElements<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
