import { CancelledError, ExecutorShutdownError, TimeoutError } from './errors.js';
import { TaskEvents } from './events.js';
import { type AsyncFuture, reportError, toCancelledError } from './future.js';
import { MapIterator, mapAll, type PreparedMap, prepareMap } from './map.js';
import { Notifier } from './notify.js';
import {
  type ExecutorOptions,
  type MapOptions,
  type ResolvedTaskOptions,
  resolveExecutorOptions,
  resolveTaskOptions,
  type TaskOptions,
} from './options.js';
import type { RateLimiter } from './rate-limiter.js';
import { retryDelayFor } from './retry.js';
import type { Semaphore } from './semaphore.js';
import { callerSignals } from './signals.js';
import type { ExecutorSnapshot, TaskEvent } from './snapshot.js';
import type { Attempt, Group, MapFn, TaskFn } from './task.js';
import { NO_ARG, Task, taskContext } from './task.js';
import { startsBefore, TaskQueue } from './task-queue.js';
import { clearTimer, now, setTimer, type TimerHandle } from './time.js';
import { checkBoolean, checkFunction, checkInt, checkOptions } from './validate.js';
import { type AsCompletedOptions, asCompleted, type WaitOptions, type WaitResult, wait } from './wait.js';
import { WorkerPool } from './worker-pool.js';

/** Options of {@link AsyncExecutor.shutdown}. */
export interface ShutdownOptions {
  /** Resolve only once every task has settled. @default true */
  wait?: boolean | undefined;
  /** Cancel queued and retrying tasks and abort running ones. @default false */
  cancelFutures?: boolean | undefined;
}

const SHUTDOWN_KEYS = new Set(['wait', 'cancelFutures']);
const asyncDispose: typeof Symbol.asyncDispose =
  Symbol.asyncDispose ?? (Symbol.for('Symbol.asyncDispose') as typeof Symbol.asyncDispose);

/**
 * A pool of async workers with a `concurrent.futures`-style API: `submit`
 * one task, `map` many, stream with `mapIter`, collect with `asCompleted` and
 * `wait`. Never more than `maxWorkers` tasks run at once; tasks can retry,
 * time out, pass a rate limit and be cancelled through their `AbortSignal`.
 *
 * @example
 * await using executor = new AsyncExecutor({ maxWorkers: 8, rateLimit: { limit: 50, interval: 1000 } });
 * const users = await executor.map((id, { signal }) => fetchJson(`/api/users/${id}`, signal), ids, { retries: 3 });
 */
export class AsyncExecutor implements AsyncDisposable {
  /** The executor's label (snapshots, errors, the demo). */
  readonly name: string | undefined;
  private readonly limiter: RateLimiter | undefined;
  private readonly defaults: ResolvedTaskOptions;
  private readonly queue = new TaskQueue<Task<unknown>>();
  private readonly pool: WorkerPool;
  /** tasks outside the queue and the slots: retrying, parked by a map's limit, waiting for a permit or holding one */
  private readonly aside = new Set<Task<unknown>>();
  /** tasks given a semaphore permit while every worker was busy: the first to start, in the order granted (also aside) */
  private readonly granted: Task<unknown>[] = [];
  private nQueued = 0;
  private nRunning = 0;
  private nRetrying = 0;
  private nSucceeded = 0;
  private nFailed = 0;
  private nCancelled = 0;
  /** tasks cancelled while queued since the queue was last swept (see settle) */
  private cancelledQueued = 0;
  private nSubmitted = 0;
  private paused = false;
  private isShutdown = false;
  /** shut down with `cancelFutures`: a `map` in progress may not start new items */
  private shutdownCancelled = false;
  private draining = false;
  /** `pause()` is handing back what queued tasks hold (see `standDown`) */
  private standingDown = false;
  private idleWaiters: (() => void)[] = [];
  private readonly notifier = new Notifier();
  private readonly events = new TaskEvents();
  private snapshot: ExecutorSnapshot | undefined;
  private serverSnapshot: ExecutorSnapshot | undefined;
  /** a snapshot with rate-limit tokens was handed out in this synchronous stretch: keep handing it out */
  private pinned = false;
  /** while subscribed: fires when the rate limiter's tokens may have risen (see `watchTokens`) */
  private tokenTimer: TimerHandle | undefined;
  private readonly pumps = new Set<() => void>();
  /** Attempts holding a worker slot only to wait for a rate-limit token; a lower bound of their tasks' priorities. */
  private readonly tokenHolders = new Set<Attempt>();
  private holdersFloor = Number.POSITIVE_INFINITY;
  /** `map` runs in progress: they may still submit, so `onIdle`/`shutdown` wait for them */
  private openRuns = 0;
  private readonly signal: AbortSignal | undefined;
  /** listening to `signal`: until it aborts, or shut down and idle (a graceful shutdown's wait can still be cut short by it) */
  private holdsSignal = false;

  constructor(options: ExecutorOptions = {}) {
    const resolved = resolveExecutorOptions(options);
    this.name = options.name;
    this.pool = new WorkerPool(resolved.maxWorkers);
    this.limiter = resolved.rateLimit;
    this.defaults = { ...resolved.defaults, owner: this };
    this.signal = options.signal;
    if (this.signal?.aborted) this.onAbort();
    else if (this.signal !== undefined) {
      this.signal.addEventListener('abort', this.onAbort);
      this.holdsSignal = true;
    }
  }

  /**
   * Schedule one task. `fn(ctx)` may return a value or a promise. Throws
   * `ExecutorShutdownError` after `shutdown()`.
   */
  submit<T>(fn: TaskFn<T>, options?: TaskOptions): AsyncFuture<Awaited<T>> {
    if (this.isShutdown) throw new ExecutorShutdownError(`executor${this.label()} is shut down: cannot submit`);
    checkFunction('fn', fn);
    const opts = options === undefined ? this.defaults : resolveTaskOptions(options, this.defaults);
    return this.enqueue(fn, NO_ARG, opts) as AsyncFuture<Awaited<T>>;
  }

  /**
   * Apply `fn(item, ctx)` to every item; results in input order. Rejects on
   * the first failure (after its retries) and cancels the rest, unless
   * `returnExceptions` puts errors in the results.
   */
  map<I, R>(
    fn: MapFn<I, R>,
    items: Iterable<I> | AsyncIterable<I>,
    options: MapOptions & { returnExceptions: true },
  ): Promise<(Awaited<R> | Error)[]>;
  map<I, R>(
    fn: MapFn<I, R>,
    items: Iterable<I> | AsyncIterable<I>,
    options?: MapOptions & { returnExceptions?: false | undefined },
  ): Promise<Awaited<R>[]>;
  /** `returnExceptions` not known to be `false` (a `boolean`, an options variable): errors may be among the results. */
  map<I, R>(
    fn: MapFn<I, R>,
    items: Iterable<I> | AsyncIterable<I>,
    options?: MapOptions,
  ): Promise<(Awaited<R> | Error)[]>;
  map<I, R>(fn: MapFn<I, R>, items: Iterable<I> | AsyncIterable<I>, options?: MapOptions): Promise<unknown[]> {
    try {
      this.assertOpen('map');
      return mapAll(this.prepare(fn, items, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Streaming map: yields in input order (or completion order with
   * `ordered: false`), pulling at most `bufferSize` items ahead of the
   * consumer. Leaving the loop early cancels what is in flight.
   */
  mapIter<I, R>(
    fn: MapFn<I, R>,
    items: Iterable<I> | AsyncIterable<I>,
    options: MapOptions & { returnExceptions: true },
  ): AsyncIterableIterator<Awaited<R> | Error>;
  mapIter<I, R>(
    fn: MapFn<I, R>,
    items: Iterable<I> | AsyncIterable<I>,
    options?: MapOptions & { returnExceptions?: false | undefined },
  ): AsyncIterableIterator<Awaited<R>>;
  mapIter<I, R>(
    fn: MapFn<I, R>,
    items: Iterable<I> | AsyncIterable<I>,
    options?: MapOptions,
  ): AsyncIterableIterator<Awaited<R> | Error>;
  mapIter<I, R>(
    fn: MapFn<I, R>,
    items: Iterable<I> | AsyncIterable<I>,
    options?: MapOptions,
  ): AsyncIterableIterator<unknown> {
    this.assertOpen('mapIter');
    return new MapIterator(this.prepare(fn, items, options));
  }

  /** Keep the items whose async predicate holds, in input order (a type guard narrows them). */
  filter<I, S extends I>(
    pred: (item: I, ctx: Parameters<TaskFn<unknown>>[0]) => item is S,
    items: Iterable<I> | AsyncIterable<I>,
    options?: Omit<MapOptions, 'returnExceptions'>,
  ): Promise<S[]>;
  filter<I>(
    pred: (item: I, ctx: Parameters<TaskFn<unknown>>[0]) => unknown,
    items: Iterable<I> | AsyncIterable<I>,
    options?: Omit<MapOptions, 'returnExceptions'>,
  ): Promise<I[]>;
  async filter<I>(
    pred: (item: I, ctx: Parameters<TaskFn<unknown>>[0]) => unknown,
    items: Iterable<I> | AsyncIterable<I>,
    options?: Omit<MapOptions, 'returnExceptions'>,
  ): Promise<I[]> {
    this.assertOpen('filter');
    checkFunction('pred', pred);
    // `returnExceptions: true` is ignored (a predicate that throws rejects); anything else goes to map as
    // given, which refuses a bad options object or value with its own messages.
    type Kept = MapOptions & { returnExceptions?: false };
    const opts = (
      (options as MapOptions | undefined)?.returnExceptions === true ? { ...options, returnExceptions: false } : options
    ) as Kept | undefined;
    const keep = await this.map(async (item: I, ctx) => ((await pred(item, ctx)) ? [item] : undefined), items, opts);
    const out: I[] = [];
    for (const k of keep) if (k !== undefined) out.push(k[0] as I);
    return out;
  }

  /** Yield each future as it settles (already-done ones first). See {@link asCompleted}. */
  asCompleted<F extends AsyncFuture<unknown>>(
    futures: Iterable<F>,
    options?: AsCompletedOptions,
  ): AsyncIterableIterator<F> {
    return asCompleted(futures, options);
  }

  /** Wait for futures by a {@link WaitStrategy}. See {@link wait}. */
  wait<F extends AsyncFuture<unknown>>(futures: Iterable<F>, options?: WaitOptions): Promise<WaitResult<F>> {
    return wait(futures, options);
  }

  /**
   * Stop accepting work. `cancelFutures` cancels queued tasks and aborts
   * running ones; `wait` resolves when every task has settled. Idempotent.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    try {
      checkOptions('options', options, SHUTDOWN_KEYS);
      for (const key of SHUTDOWN_KEYS) {
        const v = options[key as keyof ShutdownOptions];
        if (v !== undefined) checkBoolean(key, v);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    this.close(options.cancelFutures ? new CancelledError(`executor${this.label()} shut down`) : undefined);
    return options.wait === false ? Promise.resolve() : this.onIdle();
  }

  /** Stop accepting work; with `cancel`, cancel every task with it. */
  private close(cancel: CancelledError | undefined): void {
    if (!this.isShutdown) {
      this.isShutdown = true;
      this.stopWatchingTokens();
      this.changed();
    }
    if (cancel !== undefined) {
      this.shutdownCancelled = true; // before cancelAll: the map runs it wakes must not start new items
      this.cancelAll(cancel);
      this.pumpAll(); // ends the map runs with nothing in flight too
    }
    this.wakeIdle(); // nothing left to wait for: the signal is let go now
  }

  /** Cancel every task not yet settled (the executor stays open). */
  cancelAll(reason?: unknown): void {
    const tasks: Task<unknown>[] = this.queue.drain();
    for (const task of this.aside) tasks.push(task);
    for (const attempt of this.pool.attempts()) tasks.push(attempt.task);
    for (const task of tasks) task.cancel(reason);
  }

  /** Stop starting queued tasks; running ones go on. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.standDown();
    this.changed();
  }

  /** Start queued tasks again. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.changed();
    this.drain();
  }

  /**
   * Resolves when every task has settled (nothing queued, running or retrying) and no `map` is still
   * pulling items. A cancelled or timed-out task that ignores its signal has settled: it does not hold
   * this up, though its worker slot stays taken until its function returns.
   */
  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Change the pool size live: growing starts queued tasks at once; shrinking lets running ones finish. */
  resize(maxWorkers: number): void {
    checkInt('maxWorkers', maxWorkers, 1, true);
    this.pool.resize(maxWorkers);
    if (this.pool.active > maxWorkers) this.shedSlots();
    this.changed();
    this.drain();
    this.pumpAll();
  }

  /**
   * The current state, the same object until something changes — a rate limiter's refill included,
   * seen when the snapshot is read (and told to subscribers, see `watchTokens`). Bound: pass it bare.
   */
  readonly getSnapshot = (): ExecutorSnapshot => {
    const limiter = this.limiter;
    if (limiter === undefined) {
      this.snapshot ??= this.buildSnapshot();
      return this.snapshot;
    }
    let snapshot = this.snapshot;
    if (snapshot !== undefined && this.pinned) return snapshot;
    if (snapshot === undefined || snapshot.rateLimit?.tokens !== limiter.tokens) {
      snapshot = this.buildSnapshot();
      this.snapshot = snapshot;
    }
    // A subscriber shown fewer tokens than the most — taken by this executor's tasks, another executor
    // sharing the limiter or a caller's acquire() — is told when they come back.
    if ((snapshot.rateLimit?.tokens as number) < limiter.maxTokens) this.watchTokens();
    // Calls in one synchronous stretch get one answer (React calls twice to check that it is cached),
    // even if a token arrives between them; a later stretch sees the refill.
    this.pinned = true;
    queueMicrotask(this.unpin);
    return snapshot;
  };

  /**
   * What a server renders, and a client while it hydrates: what a new executor of this configuration
   * shows — its name, pool size and full rate-limit bucket, nothing queued, running or finished, every
   * worker idle — whatever this one has done, so the two sides agree even when the server used it.
   * Built on the first call, then the same object. Bound: `useSyncExternalStore`'s third argument.
   */
  readonly getServerSnapshot = (): ExecutorSnapshot => {
    if (this.serverSnapshot === undefined) {
      const { size } = this.pool;
      const limiter = this.limiter;
      this.serverSnapshot = Object.freeze({
        name: this.name,
        maxWorkers: size,
        paused: false,
        shutdown: false,
        queued: 0,
        running: 0,
        retrying: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        submitted: 0,
        workers: Object.freeze(
          Number.isFinite(size) ? Array.from({ length: size }, (_, id) => Object.freeze({ id })) : [],
        ),
        ...(limiter !== undefined
          ? { rateLimit: Object.freeze({ tokens: limiter.maxTokens, nextTokenAt: undefined }) }
          : {}),
      });
    }
    return this.serverSnapshot;
  };

  private readonly unpin = (): void => {
    this.pinned = false;
  };

  /**
   * Call `listener` (at most once per microtask burst) after the snapshot changes — a rate limiter's
   * refill included, while anyone subscribes. Bound; returns the unsubscribe function.
   */
  readonly subscribe = (listener: () => void): (() => void) => {
    const unsubscribe = this.notifier.subscribe(listener);
    this.watchTokens();
    return () => {
      unsubscribe();
      if (!this.notifier.listening) this.stopWatchingTokens();
    };
  };

  /** How many `subscribe` listeners are attached (zero after every consumer unsubscribed). */
  get subscriberCount(): number {
    return this.notifier.size;
  }

  /** Deliver every task event to `listener`, synchronously as it happens. Returns the unsubscribe function. */
  onEvent(listener: (event: TaskEvent) => void): () => void {
    checkFunction('listener', listener);
    return this.events.on(listener);
  }

  /** `await using executor = …` shuts it down, waiting for its tasks. */
  [asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  // ---- internals: scheduling -------------------------------------------------

  /** @internal used by map runs */
  enqueue(fn: (...args: never[]) => unknown, arg: unknown, opts: ResolvedTaskOptions): Task<unknown> {
    const task = new Task<unknown>(fn, arg, opts);
    this.nSubmitted++;
    this.nQueued++;
    if (this.events.listening) this.emit('queued', task, undefined);
    const signal = opts.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.cancelTask(task, signal.reason);
        return task;
      }
      callerSignals.add(signal, task);
    }
    this.changed();
    if (!this.draining && this.queue.size === 0 && this.granted.length === 0 && !this.paused && this.pool.hasFree) {
      // A free worker and nobody ahead: start it without a trip through the queue.
      this.draining = true;
      try {
        this.tryStart(task);
      } finally {
        this.draining = false;
      }
      if (this.queue.size > 0 || this.granted.length > 0) this.drain();
    } else {
      this.queue.push(task);
      this.drain();
    }
    return task;
  }

  /** Wake every map run: it pulls more items (a grown pool), or ends (a `cancelFutures` shutdown). */
  private pumpAll(): void {
    for (const pump of [...this.pumps]) pump();
  }

  /** @internal map runs register a pump so `resize` and `shutdown` can wake them */
  addPump(pump: () => void): () => void {
    this.pumps.add(pump);
    return () => this.pumps.delete(pump);
  }

  /** @internal a `map` run keeps the executor from being idle until it ends (its source may still hold items); returns the release */
  holdOpen(): () => void {
    this.openRuns++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.openRuns--;
      this.wakeIdle();
    };
  }

  /** @internal false once shut down: a `mapIter` started before then may not start new items */
  get accepting(): boolean {
    return !this.isShutdown;
  }

  /** @internal true once shut down with `cancelFutures`: no `map` or `mapIter` may start new items */
  get cancelling(): boolean {
    return this.shutdownCancelled;
  }

  /** @internal */
  get workerLimit(): number {
    return this.pool.size;
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.paused) {
        if (!this.pool.hasFree) {
          if (this.preempt()) continue;
          break;
        }
        const task = this.granted.length > 0 ? this.granted.shift() : this.queue.shift();
        if (task === undefined) break;
        if (task._state === 'queued') this.tryStart(task);
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Pass the gates in order: the map's limit, a semaphore permit, a worker slot, the rate limiters.
   * Called only with a worker free and the executor not paused (from `drain` or `enqueue`).
   */
  private tryStart(task: Task<unknown>): void {
    const group = task._group;
    if (group !== undefined && group.active >= group.limit) {
      this.dropPermit(task); // a parked task holds nothing: its permit goes on to the next waiter
      group.parked.push(task);
      this.aside.add(task);
      return;
    }
    const semaphore = task._opts.semaphore;
    if (semaphore !== undefined && !task._extra?.permit) {
      const extra = task.extra();
      if (semaphore.tryAcquire()) extra.permit = true;
      else {
        this.waitForPermit(task, semaphore);
        return;
      }
    }
    const attempt = this.takeSlot(task);
    if (this.passLimits(task, attempt)) this.run(task, attempt);
  }

  /** Wait for a permit holding no worker slot; once granted, the task is the first to start when a worker frees. */
  private waitForPermit(task: Task<unknown>, semaphore: Semaphore): void {
    const extra = task.extra();
    this.aside.add(task);
    let granted = false;
    const waiter = semaphore.enqueue(() => {
      granted = true;
      extra.waiter = undefined;
      if (task._state !== 'queued') {
        semaphore.release(); // settled meanwhile: the permit goes to the next waiter
        return;
      }
      extra.permit = true;
      this.granted.push(task);
      this.drain();
    }, task._priority);
    if (!granted) extra.waiter = waiter;
  }

  /** Give back a permit a queued task was granted but has not used. */
  private dropPermit(task: Task<unknown>): void {
    const extra = task._extra;
    if (!extra?.permit) return;
    extra.permit = false;
    task._opts.semaphore?.release();
  }

  private takeSlot(task: Task<unknown>): Attempt {
    const attempt = this.pool.take(task);
    if (task._extra?.permit) {
      task._extra.permit = false;
      attempt.permit = true;
      this.aside.delete(task);
    }
    if (task._group !== undefined) task._group.active++;
    task._ctx = attempt;
    return attempt;
  }

  /**
   * Take a token from every rate limiter of the task (the executor's, the
   * task's own), or none: tokens are taken right before the start they pay
   * for, never held while waiting for another limiter. If one is missing the
   * task waits for it holding its worker slot, then tries the others again.
   */
  private passLimits(task: Task<unknown>, attempt: Attempt): boolean {
    const own = task._opts.rateLimit;
    const shared = this.limiter;
    if (own === undefined || own === shared) {
      // One limiter (or none): no list to build on the way of every start.
      if (shared === undefined || shared.tryAcquire()) return true;
      this.waitForToken(task, attempt, [shared], 0);
      return false;
    }
    const list = shared === undefined ? [own] : [shared, own];
    const blocked = takeAll(list, -1);
    if (blocked < 0) return true;
    this.waitForToken(task, attempt, list, blocked);
    return false;
  }

  private waitForToken(task: Task<unknown>, attempt: Attempt, limiters: RateLimiter[], index: number): void {
    const limiter = limiters[index] as RateLimiter;
    let granted = false;
    const waiter = limiter.enqueue(() => {
      granted = true;
      task.extra().waiter = undefined;
      if (task._state !== 'queued') {
        limiter.refund();
        return;
      }
      const blocked = takeAll(limiters, index);
      if (blocked < 0) this.run(task, attempt);
      else {
        limiter.refund();
        this.waitForToken(task, attempt, limiters, blocked);
      }
    }, task._priority);
    if (granted) return;
    task.extra().waiter = waiter;
    this.tokenHolders.add(attempt);
    if (task._priority < this.holdersFloor) this.holdersFloor = task._priority;
  }

  /** The attempt loop: one attempt starts here; its end decides success, retry or failure. */
  private run(task: Task<unknown>, attempt: Attempt): void {
    if (this.tokenHolders.size > 0) this.tokenHolders.delete(attempt);
    attempt.attempt++; // it started from the count of the attempts before it
    attempt.live = true;
    attempt.started = true;
    task._state = 'running';
    this.nQueued--;
    this.nRunning++;
    this.pool.started(attempt.workerId, now());
    if (this.events.listening) this.emit('started', task, undefined);
    this.changed();
    const timeout = task._opts.timeout;
    if (timeout !== undefined) attempt.timer = setTimer(() => this.onTimeout(task, attempt, timeout), timeout);
    const fn = task._fn as (...args: unknown[]) => unknown;
    try {
      const arg = task._outcome; // the task's argument until it settles
      const ctx = taskContext(attempt);
      const result = arg === NO_ARG ? fn(ctx) : fn(arg, ctx);
      if (
        result !== null &&
        (typeof result === 'object' || typeof result === 'function') &&
        typeof (result as PromiseLike<unknown>).then === 'function'
      ) {
        (result as PromiseLike<unknown>).then(
          (value) => this.attemptEnded(task, attempt, true, value),
          (error: unknown) => this.attemptEnded(task, attempt, false, error),
        );
      } else this.attemptEnded(task, attempt, true, result);
    } catch (error) {
      this.attemptEnded(task, attempt, false, error);
    }
    // The tokens this attempt took paid for a start that has now happened: log it at this time.
    this.limiter?.restamp();
    task._opts.rateLimit?.restamp();
  }

  private attemptEnded(task: Task<unknown>, attempt: Attempt, ok: boolean, value: unknown): void {
    if (!attempt.slot) return;
    if (attempt.timer !== undefined) clearTimer(attempt.timer);
    const live = attempt.live;
    attempt.live = false;
    // Nothing starts before this task has settled (a permit's grant drains): never a moment with one
    // more running than allowed, nor a start reported before the end it follows.
    const wasDraining = this.draining;
    this.draining = true;
    try {
      this.releaseSlot(attempt);
      // What the release woke elsewhere may have cancelled this task meanwhile.
      if (live && task._state === 'running') {
        if (ok) this.settle(task, 'succeeded', value);
        else this.attemptFailed(task, attempt, value);
      }
    } finally {
      this.draining = wasDraining;
    }
    this.drain();
  }

  private onTimeout(task: Task<unknown>, attempt: Attempt, timeout: number): void {
    if (!attempt.live) return;
    attempt.live = false;
    const retries = task._opts.retries;
    const error = new TimeoutError(
      `task ${task.label()} timed out after ${timeout} ms (attempt ${attempt.attempt} of ${retries === Number.POSITIVE_INFINITY ? '∞' : retries + 1})`,
      { retryable: true },
    );
    attempt.abort(error);
    // The attempt has failed; its slot stays taken until the task's promise really settles.
    this.attemptFailed(task, attempt, error);
  }

  private attemptFailed(task: Task<unknown>, attempt: Attempt, error: unknown): void {
    const opts = task._opts;
    const n = attempt.attempt;
    let again = false;
    if (n <= opts.retries) {
      // Between places while retryIf decides (its slot may be released already): aside, where a
      // cancelAll or a cancelling shutdown that retryIf calls finds it.
      this.aside.add(task);
      try {
        again = Boolean(opts.retryIf(error, n));
      } catch (e) {
        reportError(e);
      }
      this.aside.delete(task);
    }
    if (!again) {
      // A task that throws CancelledError itself is cancelled, as in concurrent.futures.
      this.settle(task, error instanceof CancelledError ? 'cancelled' : 'failed', error);
      return;
    }
    if (task._state !== 'running') return; // retryIf cancelled it (aborted its signal, shut down): settled
    const delayMs = retryDelayFor(opts, n, error);
    task._state = 'retrying';
    this.nRunning--;
    this.nRetrying++;
    this.aside.add(task);
    const extra = task.extra();
    // Armed before anyone hears of the retry: a listener that cancels the task clears it.
    extra.retryTimer = setTimer(() => {
      extra.retryTimer = undefined;
      if (task._state !== 'retrying') return;
      this.aside.delete(task);
      task._state = 'queued';
      this.nRetrying--;
      this.nQueued++;
      this.changed();
      this.queue.unshift(task);
      this.drain();
    }, delayMs);
    if (this.events.listening) this.emit('retry', task, attempt.workerId, error, delayMs);
    this.changed();
  }

  private releaseSlot(attempt: Attempt): void {
    if (!attempt.slot) return;
    attempt.slot = false;
    if (this.tokenHolders.size > 0) this.tokenHolders.delete(attempt);
    this.pool.release(attempt);
    const group = attempt.task._group;
    if (group !== undefined) {
      group.active--;
      this.unpark(group);
    }
    // Last: the permit's next holder may start at once (the grant drains), and must find the slot and the map's place free.
    if (attempt.permit) {
      attempt.permit = false;
      attempt.task._opts.semaphore?.release();
    }
    this.changed();
  }

  /** A map's limit has room: wake one task parked because it was full (back to the front of the queue). */
  private unpark(group: Group): void {
    if (group.active >= group.limit) return;
    for (let next = group.parked.shift(); next !== undefined; next = group.parked.shift()) {
      if (next._state !== 'queued') continue;
      this.aside.delete(next);
      this.queue.unshift(next);
      return;
    }
  }

  /**
   * `pause()`: queued tasks let go of what they hold or wait in line for — a semaphore's permit or
   * place in its queue, a worker slot kept while waiting for a token, a place in a rate limiter's
   * queue — so other executors sharing them are not held up, and wait in the queue again, in submit
   * order. They are back in the queue before anything is released: code a release wakes elsewhere
   * runs at once, and may cancel them (`cancelAll`, `shutdown`) or resume this executor. Nothing
   * starts meanwhile (`draining` is held).
   */
  private standDown(): void {
    if (this.standingDown) return; // resumed and paused again by code a release woke: this call covers it
    const back = new Set<Task<unknown>>();
    for (const task of this.aside) {
      const extra = task._extra;
      if (task._state === 'queued' && (extra?.waiter !== undefined || extra?.permit)) back.add(task);
    }
    const waitingForToken = [...this.tokenHolders];
    for (const attempt of waitingForToken) back.add(attempt.task);
    const wasDraining = this.draining;
    this.draining = true;
    this.standingDown = true;
    try {
      for (const task of back) task._leaveLine();
      this.granted.length = 0; // each is in `back`, or has settled
      this.requeue([...back]);
      for (const attempt of waitingForToken) if (attempt.task._state === 'queued') this.releaseSlot(attempt);
      for (const task of back) if (task._state === 'queued') this.dropPermit(task);
    } finally {
      this.standingDown = false;
      this.draining = wasDraining;
    }
    // Code woken by the releases may have resumed this executor meanwhile, while draining was held.
    if (!wasDraining && !this.paused) this.drain();
  }

  /**
   * A shrinking `resize()`: tasks that hold a slot only to wait for a token give it back, newest
   * first, until no more slots are held than the new size, so that no more than that ever run. A
   * permit they hold stays theirs (they are then first to start, as when granted one while every
   * worker was busy); nothing is released to anyone else, so no outside code runs here.
   */
  private shedSlots(): void {
    if (this.standingDown) return; // pause() is handing every such slot back already
    this.shed([...this.tokenHolders].sort((a, b) => b.task.id - a.task.id).slice(0, this.pool.active - this.pool.size));
  }

  /**
   * The pool is full. If the task next in line for a worker (the higher of the first granted a permit
   * and the queue's head) outranks a task holding a slot only to wait for a token, it takes the slot
   * of the lowest such task (the latest of equals), which waits in line again, and goes on to its own
   * gates: in the limiter's queue it now stands where its priority puts it. One that could not use a
   * slot (its map is full, its permit is taken) goes to wait at that gate holding none, as it would
   * with a worker free, and the next one is looked at. Each turn takes a task off the line, so the
   * loops here and in `drain` end.
   */
  private preempt(): boolean {
    if (this.tokenHolders.size === 0) return false;
    for (;;) {
      const next = this.nextInLine();
      if (next === undefined || next._priority <= this.holdersFloor) return false;
      if (!this.couldStart(next)) {
        this.takeOffLine(next);
        this.tryStart(next); // parks it or queues it for a permit: it takes no slot
        continue;
      }
      let holder: Attempt | undefined;
      for (const a of this.tokenHolders) if (holder === undefined || startsBefore(holder.task, a.task)) holder = a;
      // Exact again: a later task no higher than this skips the scan.
      this.holdersFloor = holder === undefined ? Number.POSITIVE_INFINITY : holder.task._priority;
      if (holder === undefined || holder.task._priority >= next._priority) return false;
      this.takeOffLine(next);
      this.shed([holder]);
      this.tryStart(next);
      return true;
    }
  }

  /** The higher of the first task granted a permit and the queue's head (settled ones dropped on the way). */
  private nextInLine(): Task<unknown> | undefined {
    const granted = this.granted;
    while (granted.length > 0 && granted[0]?._state !== 'queued') granted.shift();
    while (this.queue.size > 0 && this.queue.peek()?._state !== 'queued') this.queue.shift();
    const first = granted[0];
    const head = this.queue.peek();
    return first === undefined || (head !== undefined && startsBefore(head, first)) ? head : first;
  }

  private takeOffLine(task: Task<unknown>): void {
    if (this.granted[0] === task) this.granted.shift();
    else this.queue.shift();
  }

  /** `task` would take a free worker at once: its map has room, and its permit is held or free to take. */
  private couldStart(task: Task<unknown>): boolean {
    const group = task._group;
    if (group !== undefined && group.active >= group.limit) return false;
    const semaphore = task._opts.semaphore;
    return (
      semaphore === undefined || task._extra?.permit === true || (semaphore.available > 0 && semaphore.waiting === 0)
    );
  }

  /** Take the slots of tasks waiting for a token back: the tasks wait in the queue again (a permit they hold, they keep). */
  private shed(attempts: Attempt[]): void {
    const queued: Task<unknown>[] = [];
    const holding: Task<unknown>[] = [];
    for (const attempt of attempts) {
      attempt.task._leaveLine();
      if (attempt.permit) {
        attempt.permit = false; // the slot goes, the permit stays with the task
        attempt.task.extra().permit = true;
        holding.unshift(attempt.task);
        this.aside.add(attempt.task);
      } else queued.push(attempt.task);
    }
    this.requeue(queued);
    this.granted.unshift(...holding);
    for (const attempt of attempts) this.releaseSlot(attempt);
  }

  /** Back to the front of the queue, in submit order. */
  private requeue(tasks: Task<unknown>[]): void {
    tasks.sort((a, b) => b.id - a.id);
    for (const task of tasks) {
      this.aside.delete(task);
      this.queue.unshift(task);
    }
  }

  /** @internal `future.cancel()` lands here */
  cancelTask(future: AsyncFuture<unknown>, reason: unknown): void {
    const task = future as Task<unknown>;
    const error = toCancelledError(reason, task);
    const attempt = task._ctx;
    if (task._state === 'running' && attempt !== undefined) {
      attempt.live = false;
      clearTimer(attempt.timer);
      attempt.abort(error); // the slot stays taken until the task's promise settles
    } else if (attempt?.waitingForToken) {
      // It held a slot while waiting for a token, first attempt or retry (an attempt that ran, timed out
      // and still holds its slot keeps it). Settled first, as in settle(): what the release wakes (a
      // permit's next holder) starts after this task has ended. It waits for no token from now on, also
      // for code its settling runs (a done callback that resizes the pool must not shed this slot).
      this.tokenHolders.delete(attempt);
      this.settle(task, 'cancelled', error);
      this.releaseSlot(attempt);
      this.drain();
      return;
    }
    // No slot was freed, so nothing can start: draining here would let the next queued task start
    // while a caller cancels several in a row (a failing map cancelling its other items).
    this.settle(task, 'cancelled', error);
  }

  private settle(task: Task<unknown>, state: 'succeeded' | 'failed' | 'cancelled', outcome: unknown): void {
    const from = task._state;
    if (from === 'queued' && state === 'cancelled') this.cancelledQueued++;
    if (from === 'queued') this.nQueued--;
    else if (from === 'running') this.nRunning--;
    else if (from === 'retrying') this.nRetrying--;
    else return;
    if (state === 'succeeded') this.nSucceeded++;
    else if (state === 'failed') this.nFailed++;
    else this.nCancelled++;
    const extra = task._extra;
    let permit = false;
    if (extra !== undefined) {
      clearTimer(extra.retryTimer);
      task._leaveLine();
      permit = extra.permit;
      extra.permit = false;
    }
    const group = task._group;
    // Tasks aside (retrying, waiting for a permit, parked by a map's limit) have extra state or a group.
    if (extra !== undefined || group !== undefined) this.aside.delete(task);
    if (task._opts.signal !== undefined) callerSignals.delete(task._opts.signal, task);
    task._fn = undefined;
    // Settled first: what the releases below wake (a semaphore waiter drains the queue) must not start this task.
    task._state = state;
    task._outcome = outcome;
    // Heard before the done callbacks act on it (a map cancelling its other items on a failure).
    if (this.events.listening) {
      const attempt = task._ctx; // the worker of the last attempt that ran, if any ran
      this.emit(
        state,
        task,
        attempt?.started ? attempt.workerId : undefined,
        state === 'succeeded' ? undefined : outcome,
      );
    }
    task._runCallbacks();
    if (permit) task._opts.semaphore?.release();
    // A queued task may have been the one woken for a free place in its map's limit: pass the wake-up on.
    if (group !== undefined && from === 'queued') this.unpark(group);
    this.changed();
    this.wakeIdle();
    // A task cancelled in the queue stays there until a worker takes it: once they are half the queue,
    // it is swept, so a "latest request wins" loop behind a busy pool holds no growing pile of them.
    if (this.cancelledQueued > 32 && 2 * this.cancelledQueued > this.queue.size) {
      this.cancelledQueued = 0;
      this.queue.retain(isQueued);
    }
  }

  private wakeIdle(): void {
    if ((this.idleWaiters.length === 0 && !this.holdsSignal) || !this.isIdle()) return;
    if (this.holdsSignal && this.isShutdown) {
      // Before the waiters hear: once `shutdown()` resolves, no listener of the executor's is left.
      this.holdsSignal = false;
      this.signal?.removeEventListener('abort', this.onAbort);
    }
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Every task settled (nothing queued, running or retrying) and no `map` still pulling. */
  private isIdle(): boolean {
    return this.nQueued === 0 && this.nRunning === 0 && this.nRetrying === 0 && this.openRuns === 0;
  }

  private readonly onAbort = (): void => {
    const reason = this.signal?.reason;
    this.close(new CancelledError(`executor${this.label()} shut down: its signal aborted`, { cause: reason }));
  };

  private assertOpen(method: string): void {
    if (this.isShutdown) throw new ExecutorShutdownError(`executor${this.label()} is shut down: cannot ${method}`);
  }

  /** @internal validate task options as `submit` will (adapters check them before the first call: `withExecutor`) */
  checkTaskOptions(options: TaskOptions | undefined): void {
    if (options !== undefined) resolveTaskOptions(options, this.defaults);
  }

  /** @internal validate a map call against this executor's defaults (used by `MapRun` too) */
  prepare<I, R>(fn: MapFn<I, R>, items: Iterable<I> | AsyncIterable<I>, options: MapOptions | undefined): PreparedMap {
    return prepareMap(this, this.defaults, fn, items, options);
  }

  private label(): string {
    return this.name === undefined ? '' : ` "${this.name}"`;
  }

  // ---- internals: observation ------------------------------------------------

  /** Deliver a task event; a listener reading `getSnapshot()` sees the state the event reports. */
  private emit(...event: Parameters<TaskEvents['emit']>): void {
    this.snapshot = undefined;
    this.events.emit(...event);
  }

  private changed(): void {
    this.snapshot = undefined;
    if (this.notifier.listening) this.notifier.notify();
  }

  /**
   * Tokens come back with time, not with an event: while anyone subscribes and the rate limiter is below
   * its most, one timer tells them when the tokens rise (armed on `subscribe`, again by each firing, and
   * by a `getSnapshot` that shows fewer than the most: tokens taken by another executor sharing the
   * limiter or by a caller's `acquire()`). None without subscribers, once full, or after shutdown.
   */
  private watchTokens(): void {
    const limiter = this.limiter;
    if (limiter === undefined || this.tokenTimer !== undefined || this.isShutdown || !this.notifier.listening) return;
    const wait = limiter.untilMore();
    if (wait === undefined) return;
    // Only news for a display: in Node it does not keep an idle process alive (a subscriber left behind).
    this.tokenTimer = setTimer(
      () => {
        this.tokenTimer = undefined;
        this.notifier.notify();
        this.watchTokens();
      },
      wait,
      true,
    );
  }

  private stopWatchingTokens(): void {
    clearTimer(this.tokenTimer);
    this.tokenTimer = undefined;
  }

  private buildSnapshot(): ExecutorSnapshot {
    const limiter = this.limiter;
    return Object.freeze({
      name: this.name,
      maxWorkers: this.pool.size,
      paused: this.paused,
      shutdown: this.isShutdown,
      queued: this.nQueued,
      running: this.nRunning,
      retrying: this.nRetrying,
      succeeded: this.nSucceeded,
      failed: this.nFailed,
      cancelled: this.nCancelled,
      submitted: this.nSubmitted,
      workers: this.pool.snapshot(),
      ...(limiter !== undefined
        ? { rateLimit: Object.freeze({ tokens: limiter.tokens, nextTokenAt: limiter.nextTokenAt }) }
        : {}),
    });
  }
}

/** Take a token from each limiter but `skip`; if one has none, give back those taken and return its index (else -1). */
function takeAll(limiters: RateLimiter[], skip: number): number {
  for (let i = 0; i < limiters.length; i++) {
    if (i === skip || (limiters[i] as RateLimiter).tryAcquire()) continue;
    for (let j = i - 1; j >= 0; j--) if (j !== skip) (limiters[j] as RateLimiter).refund();
    return i;
  }
  return -1;
}

const isQueued = (task: Task<unknown>): boolean => task._state === 'queued';
