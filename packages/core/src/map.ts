import { CancelledError, ExecutorShutdownError } from './errors.js';
import { AsyncFuture, reportError } from './future.js';
import { type MapOptions, type MapProgress, type ResolvedTaskOptions, resolveTaskOptions } from './options.js';
import { callerSignals } from './signals.js';
import type { Task } from './task.js';
import { TaskQueue } from './task-queue.js';
import { checkBoolean, checkFunction, checkInt, describe } from './validate.js';

/** What a map run needs from its executor. @internal */
export interface MapHost {
  enqueue(fn: (...args: never[]) => unknown, arg: unknown, opts: ResolvedTaskOptions): Task<unknown>;
  addPump(pump: () => void): () => void;
  holdOpen(): () => void;
  readonly accepting: boolean;
  readonly cancelling: boolean;
  readonly workerLimit: number;
}

/** A validated map call, ready to run. @internal */
export interface PreparedMap {
  host: MapHost;
  fn: (...args: never[]) => unknown;
  source: Iterator<unknown> | AsyncIterator<unknown>;
  /** a plain array source, read by index (its iterator is never asked) */
  array: readonly unknown[] | undefined;
  isAsync: boolean;
  total: number | undefined;
  opts: ResolvedTaskOptions;
  maxConcurrency: number;
  bufferSize: number | undefined;
  ordered: boolean;
  returnExceptions: boolean;
  onProgress: ((progress: MapProgress) => void) | undefined;
  signal: AbortSignal | undefined;
  /** told of every item as it is submitted (used by `MapRun` to follow each item's state) */
  observe: ((index: number, item: unknown, future: AsyncFuture<unknown>) => void) | undefined;
}

/**
 * What `returnExceptions` puts in the results for a failure: the error itself, or, for a thrown value that is
 * not an `Error` (a string, `{ code }`), an Error with it as `cause` — so `r instanceof Error` finds every failure.
 * @internal
 */
export function asError(task: Task<unknown>): Error {
  const value = task._outcome;
  if (value instanceof Error) return value;
  // Made once per task: a MapRun's snapshot and the array its start() resolves with hold the same one.
  const extra = task.extra();
  extra.wrapped ??= new Error(`a task threw ${describe(value)}, not an Error`, { cause: value });
  return extra.wrapped;
}

/** When neither `maxConcurrency` nor `maxWorkers` bounds a stream, it still pulls at most this many ahead. */
const UNBOUNDED_BUFFER = 2048;

/** Validate `map`/`mapIter`/`filter` arguments at once (synchronously). @internal */
export function prepareMap(
  host: MapHost,
  defaults: ResolvedTaskOptions,
  fn: unknown,
  items: unknown,
  options: MapOptions | undefined,
): PreparedMap {
  checkFunction('fn', fn);
  const opts = options === undefined ? defaults : resolveTaskOptions(options, defaults, true);
  const o: MapOptions = options ?? {};
  const maxConcurrency =
    o.maxConcurrency === undefined ? Number.POSITIVE_INFINITY : checkInt('maxConcurrency', o.maxConcurrency, 1, true);
  const bufferSize = o.bufferSize === undefined ? undefined : checkInt('bufferSize', o.bufferSize, 1);
  for (const key of ['ordered', 'returnExceptions'] as const) if (o[key] !== undefined) checkBoolean(key, o[key]);
  if (o.onProgress !== undefined) checkFunction('onProgress', o.onProgress);
  let source: Iterator<unknown> | AsyncIterator<unknown>;
  let isAsync = false;
  if (
    items !== null &&
    typeof items === 'object' &&
    typeof (items as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  ) {
    source = (items as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    isAsync = true;
  } else if (items != null && typeof (items as Iterable<unknown>)[Symbol.iterator] === 'function') {
    source = (items as Iterable<unknown>)[Symbol.iterator]();
  } else {
    throw new TypeError(`items must be an iterable or an async iterable, got ${describe(items)}`);
  }
  return {
    host,
    fn: fn as (...args: never[]) => unknown,
    source,
    array: Array.isArray(items) && items[Symbol.iterator] === Array.prototype[Symbol.iterator] ? items : undefined,
    isAsync,
    total: Array.isArray(items) ? items.length : undefined,
    // The items of one call share one options object; with a `maxConcurrency`, it carries their group.
    opts: Number.isFinite(maxConcurrency)
      ? { ...opts, group: { limit: maxConcurrency, active: 0, parked: new TaskQueue() } }
      : opts,
    maxConcurrency,
    bufferSize,
    ordered: o.ordered ?? true,
    returnExceptions: o.returnExceptions ?? false,
    onProgress: o.onProgress,
    signal: o.signal,
    observe: undefined,
  };
}

/**
 * The engine shared by `map` and `mapIter`: pulls items from the source (sync
 * or async) while fewer than `window()` are outstanding, submits each as a
 * task, and hands settled ones to `settled()`. Subclasses decide what
 * "outstanding" means and where results go.
 */
abstract class MapRun {
  protected readonly p: PreparedMap;
  protected pulled = 0;
  protected unfinished = 0;
  protected sourceDone = false;
  protected closed = false;
  /** no more items are pulled (a failure will end the run) */
  protected halted = false;
  /** a run the consumer drives (mapIter) starts nothing after `shutdown()` (see stoppedByShutdown) */
  protected stopsAtShutdown = false;
  private pulling = false;
  /** a pump is on the stack: a task settling synchronously inside it must not pump again (unbounded recursion on sync tasks) */
  private pumping = false;
  private done = 0;
  private failed = 0;
  private readonly unregister: () => void;

  constructor(p: PreparedMap) {
    this.p = p;
    this.unregister = p.host.addPump(this.pump);
    const signal = p.signal;
    if (signal?.aborted) {
      this.halted = true; // pull nothing, start nothing: the run only rejects
      queueMicrotask(() => this.onAbort.cancel());
    } else if (signal !== undefined) callerSignals.add(signal, this.onAbort);
  }

  /** How many items may be outstanding now. */
  protected abstract outstanding(): number;
  protected abstract window(): number;
  protected abstract track(task: Task<unknown>, index: number): void;
  protected abstract settled(task: Task<unknown>): void;
  /** A failure that ends the run (the source threw, the signal aborted). */
  protected abstract fail(error: unknown): void;
  /** Every task not yet settled, to cancel on close. */
  protected abstract inFlight(): Iterable<AsyncFuture<unknown>>;

  protected concurrency(): number {
    return Math.min(this.p.maxConcurrency, this.p.host.workerLimit);
  }

  protected readonly pump = (): void => {
    // A run with items left to start ends here too when nobody reads it: no listener or open source
    // outlives the executor (which pumps every run as it shuts down).
    if (!this.sourceDone && this.endIfCancelling()) return;
    if (this.pumping) return; // the loop on the stack re-checks its condition
    this.pumping = true;
    try {
      this.pumpLoop();
    } finally {
      this.pumping = false;
    }
  };

  private pumpLoop(): void {
    const p = this.p;
    const limit = this.window();
    while (!this.closed && !this.halted && !this.sourceDone && !this.pulling && this.outstanding() < limit) {
      if (p.isAsync) {
        // An async source is not read after the shutdown: its next() may wait for ever (a queue), which
        // would hang the drain; a sync one is read once more, as concurrent.futures does (below).
        if (this.stoppedByShutdown()) return;
        this.pulling = true;
        let step: Promise<IteratorResult<unknown>>;
        try {
          step = Promise.resolve((p.source as AsyncIterator<unknown>).next());
        } catch (error) {
          this.pulling = false;
          this.sourceFailed(error);
          return;
        }
        step.then(
          (r) => {
            this.pulling = false;
            if (this.closed) return;
            this.accept(r);
            this.pump();
          },
          (error: unknown) => {
            this.pulling = false;
            this.sourceFailed(error);
          },
        );
        return;
      }
      const array = p.array;
      if (array !== undefined) {
        // An array is read by index: no iterator result object per item.
        if (this.pulled < array.length) this.acceptItem(array[this.pulled]);
        if (this.pulled >= array.length) this.sourceEnded(); // known at once: the last item is taken
        continue;
      }
      let r: IteratorResult<unknown>;
      try {
        r = (p.source as Iterator<unknown>).next();
      } catch (error) {
        this.sourceFailed(error);
        return;
      }
      this.accept(r);
    }
  }

  /** One result of the source's `next()`: a value to start, the end, or (not an object) a source failure, as `for…of` has it. */
  private accept(r: IteratorResult<unknown>): void {
    // A source that aborted this run from inside its own next() (its signal, cancelAll) gets nothing started.
    if (this.closed) return;
    let done: boolean | undefined;
    let value: unknown;
    try {
      if (r === null || typeof r !== 'object')
        throw new TypeError(`items: next() returned ${describe(r)}, not an object`);
      done = r.done;
      if (!done) value = r.value;
    } catch (error) {
      this.sourceFailed(error);
      return;
    }
    if (done) this.sourceEnded();
    else this.acceptItem(value);
  }

  private sourceEnded(): void {
    this.sourceDone = true;
    const known = this.p.total !== undefined;
    this.p.total = this.pulled;
    // The end found after the last item settled: one more call, so the progress shown ends with its total.
    if (!known && this.unfinished === 0 && this.done > 0 && !this.closed) this.progress();
    this.maybeFinish();
  }

  private acceptItem(value: unknown): void {
    if (this.endIfCancelling() || this.stoppedByShutdown()) return;
    const index = this.pulled++;
    const task = this.p.host.enqueue(this.p.fn, value, this.p.opts);
    task._tag = index;
    this.unfinished++;
    this.p.observe?.(index, value, task);
    this.track(task, index);
    task.addDoneCallback(this.onSettle);
  }

  /**
   * Checked before each start (a field read on the way of every item): true once stopped. A sync source is
   * read once after the shutdown, as concurrent.futures' buffered map does: its end ends the run as usual,
   * an item cuts it short (and is not started); an async one is not read again.
   */
  private stoppedByShutdown(): boolean {
    if (!this.stopsAtShutdown || this.p.host.accepting) return false;
    this.cutShort();
    return true;
  }

  /** What a run that `stopsAtShutdown` does when it stops. */
  protected cutShort(): void {}

  /** After `shutdown({ cancelFutures })`, which cancelled every task of the run, it starts no more: it ends (true). */
  private endIfCancelling(): boolean {
    if (!this.p.host.cancelling) return false;
    this.fail(
      new CancelledError('executor shut down with cancelFutures (or its signal aborted): map cannot start more items'),
    );
    return true;
  }

  private readonly onSettle = (future: AsyncFuture<unknown>): void => {
    this.unfinished--;
    if (this.closed) return;
    this.done++;
    if (future._state !== 'succeeded') this.failed++;
    this.progress();
    this.settled(future as Task<unknown>);
    this.pump();
    this.maybeFinish();
  };

  private progress(): void {
    const onProgress = this.p.onProgress;
    if (onProgress === undefined) return;
    try {
      onProgress({ done: this.done, failed: this.failed, total: this.p.total });
    } catch (error) {
      reportError(error); // as a throwing done callback is: the run goes on
    }
  }

  private sourceFailed(error: unknown): void {
    if (this.closed) return;
    this.sourceDone = true; // a source that threw is not asked again, nor closed
    this.fail(error);
  }

  /** What `callerSignals` calls when the run's signal aborts. */
  private readonly onAbort = {
    cancel: (): void => {
      if (this.closed) return;
      this.fail(new CancelledError('map aborted by its signal', { cause: this.p.signal?.reason }));
    },
  };

  protected abstract maybeFinish(): void;

  /** Stop for good: cancel what is in flight, close the source, drop listeners. */
  protected close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unregister();
    if (this.p.signal !== undefined) callerSignals.delete(this.p.signal, this.onAbort);
    if (this.unfinished > 0) for (const future of [...this.inFlight()]) future.cancel();
    if (!this.sourceDone) {
      this.sourceDone = true;
      try {
        const r = this.p.source.return?.();
        if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, () => {});
      } catch {
        // a source that fails to close has nothing more to give us
      }
    }
  }
}

/** `map`: results in input order; the first failure rejects and cancels the rest. */
class CollectRun extends MapRun {
  private readonly results: unknown[] = this.p.total === undefined ? [] : new Array(this.p.total);
  /** shutdown({ wait }) waits for a map in progress, as for one whose items were all submitted at once */
  private readonly release = this.p.host.holdOpen();
  private resolve!: (results: unknown[]) => void;
  private reject!: (error: unknown) => void;
  readonly promise = new Promise<unknown[]>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });

  protected outstanding(): number {
    return this.unfinished;
  }
  protected window(): number {
    const c = this.concurrency();
    return Number.isFinite(c) ? 2 * c : Number.POSITIVE_INFINITY;
  }
  protected track(task: Task<unknown>, index: number): void {
    this.results[index] = task;
  }
  protected settled(task: Task<unknown>): void {
    if (task._state === 'succeeded') this.results[task._tag] = task._outcome;
    else if (this.p.returnExceptions) this.results[task._tag] = asError(task);
    else this.fail(task._outcome);
  }
  protected inFlight(): Iterable<AsyncFuture<unknown>> {
    // A result value is never a future (values are awaited), so a pending AsyncFuture here is a task in flight.
    return this.results.filter((r): r is Task<unknown> => r instanceof AsyncFuture && !r.done());
  }
  protected fail(error: unknown): void {
    if (this.closed) return;
    this.close();
    this.reject(error);
  }
  protected override close(): void {
    super.close();
    this.release();
  }
  protected maybeFinish(): void {
    if (!this.closed && this.sourceDone && this.unfinished === 0) {
      this.close();
      // As long as the items run: an array the caller shortened meanwhile leaves no holes at the end.
      this.results.length = this.pulled;
      this.resolve(this.results);
    }
  }
  start(): Promise<unknown[]> {
    this.pump();
    return this.promise;
  }
}

/** @internal */
export function mapAll(p: PreparedMap): Promise<unknown[]> {
  return new CollectRun(p).start();
}

/**
 * `mapIter`: an async iterator over results, in input order or (with
 * `ordered: false`) completion order, never more than `bufferSize` items
 * pulled ahead of the consumer. @internal
 */
export class MapIterator extends MapRun implements AsyncIterableIterator<unknown> {
  /** ordered: tasks in input order from the next to yield; unordered: settled tasks not yet yielded */
  private buffer: (Task<unknown> | undefined)[] = [];
  private head = 0;
  private readonly running = new Set<Task<unknown>>();
  private consumed = 0;
  private ended = false;
  private failure: { error: unknown } | undefined;
  /** stopped by a shutdown: once the items in flight are handed over, the iterator throws */
  private cut = false;
  private readonly waiting: { resolve: (r: IteratorResult<unknown>) => void; reject: (e: unknown) => void }[] = [];

  constructor(p: PreparedMap) {
    super(p);
    this.stopsAtShutdown = true;
    this.pump(); // as in concurrent.futures, the first `bufferSize` items start at once
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.deliver();
    });
  }

  return(value?: unknown): Promise<IteratorResult<unknown>> {
    this.end();
    this.deliver();
    return Promise.resolve({ done: true, value });
  }

  throw(error?: unknown): Promise<IteratorResult<unknown>> {
    this.end();
    this.deliver();
    return Promise.reject(error);
  }

  protected outstanding(): number {
    return this.pulled - this.consumed;
  }
  protected window(): number {
    if (this.p.bufferSize !== undefined) return this.p.bufferSize;
    const c = this.concurrency();
    return Number.isFinite(c) ? 2 * c : UNBOUNDED_BUFFER;
  }
  protected track(task: Task<unknown>): void {
    if (this.p.ordered) this.buffer.push(task);
    else this.running.add(task);
  }
  protected settled(task: Task<unknown>): void {
    const failed = task._state !== 'succeeded' && !this.p.returnExceptions;
    if (!this.p.ordered) {
      this.running.delete(task);
      this.buffer.push(task);
      if (failed) {
        // The consumer gets this error next; nothing still running would ever be yielded.
        this.halted = true;
        for (const t of [...this.running]) t.cancel();
      }
    } else if (failed) {
      // Thrown when the consumer reaches it: later items will never be yielded.
      this.halted = true;
      for (let i = this.head; i < this.buffer.length; i++) {
        const t = this.buffer[i];
        if (t !== undefined && t._tag > task._tag) t.cancel();
      }
    }
    this.deliver();
  }
  protected inFlight(): Iterable<AsyncFuture<unknown>> {
    if (!this.p.ordered) return this.running;
    return this.buffer.slice(this.head).filter((t): t is Task<unknown> => t !== undefined && !t.done());
  }
  protected fail(error: unknown): void {
    if (this.ended) return;
    this.failure ??= { error };
    this.end();
    this.deliver();
  }
  protected maybeFinish(): void {
    this.deliver();
  }

  /**
   * After `shutdown()` no item is started, as in concurrent.futures, but a shutdown without
   * `cancelFutures` cancels nothing: the items in flight run on and are handed over, then the iterator
   * throws `ExecutorShutdownError`. (An item whose asynchronous pull was under way is not started.)
   */
  protected override cutShort(): void {
    this.halted = true;
    this.cut = true;
    this.deliver();
  }

  private end(): void {
    this.ended = true;
    this.close();
    this.buffer = [];
    this.head = 0;
  }

  /** Hand settled results to waiting `next()` calls, in order. */
  private deliver(): void {
    while (this.waiting.length > 0) {
      if (this.failure !== undefined) {
        const { error } = this.failure;
        this.failure = undefined;
        this.waiting.shift()?.reject(error);
        continue;
      }
      if (this.ended) {
        this.waiting.shift()?.resolve({ done: true, value: undefined });
        continue;
      }
      const task = this.buffer[this.head];
      if (task === undefined) {
        if (this.unfinished > 0 || !(this.sourceDone || this.cut)) return;
        if (this.cut)
          this.failure = { error: new ExecutorShutdownError('executor is shut down: mapIter cannot start more items') };
        this.end();
        continue;
      }
      if (!task.done()) return;
      this.buffer[this.head++] = undefined;
      if (this.head >= 1024 && this.head * 2 >= this.buffer.length) {
        this.buffer.splice(0, this.head);
        this.head = 0;
      }
      this.consumed++;
      const w = this.waiting.shift();
      if (task._state === 'succeeded' || this.p.returnExceptions) {
        w?.resolve({ done: false, value: task._state === 'succeeded' ? task._outcome : asError(task) });
        this.pump();
      } else {
        this.end();
        w?.reject(task._outcome);
      }
    }
  }
}
