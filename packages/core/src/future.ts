import { CancelledError, InvalidStateError, TimeoutError } from './errors.js';
import { callerSignals } from './signals.js';
import { clearTimer, setTimer } from './time.js';
import { checkDelay, checkFunction, checkOptions, checkSignal } from './validate.js';

/** Where a task is in its life. */
export type FutureState = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

/** Options of {@link AsyncFuture.result}. */
export interface ResultOptions {
  /** Give up waiting after this many ms (the task keeps running). */
  timeout?: number | undefined;
  /** Give up waiting when this aborts (the task keeps running). */
  signal?: AbortSignal | undefined;
}

/** Called once when the future settles, with the future. */
export type DoneCallback<T> = (future: AsyncFuture<T>) => void;

/**
 * The owner of a future: the executor that runs it. `cancel()` is delegated
 * to it so that a running task's signal is aborted and its slot handled
 * (internal: not exported from the package).
 */
export interface FutureOwner {
  cancelTask(future: AsyncFuture<unknown>, reason: unknown): void;
}

let lastId = 0;
const RESULT_KEYS: ReadonlySet<string> = new Set(['timeout', 'signal']);

/** Reports an error thrown by a callback without breaking the caller (a done callback, a listener). */
export function reportError(error: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else console.error('fanout: a callback threw', error);
}

/**
 * The eventual result of one task. Await it directly (`await future`) or
 * through {@link AsyncFuture.result}; inspect it synchronously with `state`,
 * `done()`, `exception()`. A failed future that nobody awaits never causes an
 * unhandled rejection: its promise is only built when somebody awaits it.
 *
 * @example
 * const future = executor.submit(({ signal }) => fetch(url, { signal }));
 * future.addDoneCallback((f) => console.log(f.state));
 * const response = await future;
 */
export class AsyncFuture<T> implements PromiseLike<T> {
  /** Unique id of the task (also `ctx.taskId`). */
  readonly id: number;
  /** @internal */ _state: FutureState = 'queued';
  /** @internal value or error, once settled (an executor's task keeps its argument here until then) */
  _outcome: unknown = undefined;
  /** @internal a {@link Listener}, a Set of them, or undefined (typed loosely so futures stay covariant in T) */
  _callbacks: unknown = undefined;

  /** Futures are made by an executor (`submit`, `map`), never with `new`. */
  protected constructor() {
    this.id = ++lastId;
  }

  /** The task's label, if it was given one. */
  get name(): string | undefined {
    return undefined;
  }

  /** Where the task is now. */
  get state(): FutureState {
    return this._state;
  }

  /** The current attempt, 1-based (0 before the first start). */
  get attempt(): number {
    return 0;
  }

  /** True once succeeded, failed or cancelled. */
  done(): boolean {
    const s = this._state;
    return s === 'succeeded' || s === 'failed' || s === 'cancelled';
  }

  /** True while an attempt is running. */
  running(): boolean {
    return this._state === 'running';
  }

  /** True if the future was cancelled. */
  cancelled(): boolean {
    return this._state === 'cancelled';
  }

  /**
   * The error of a failed future, `undefined` if it succeeded. Throws
   * `InvalidStateError` while not done, and the future's `CancelledError` if
   * it was cancelled (as Python's `Future.exception()` raises it).
   */
  exception(): unknown {
    if (!this.done()) throw new InvalidStateError(`future ${this.label()} is not done (state: ${this._state})`);
    if (this._state === 'cancelled') throw this._outcome;
    return this._state === 'succeeded' ? undefined : this._outcome;
  }

  /**
   * Cancel the task: a queued one never starts, a running or retrying one
   * has its signal aborted. The future settles at once with `CancelledError`.
   * @returns true if this call cancelled it, false if it was already done.
   */
  cancel(reason?: unknown): boolean {
    if (this.done()) return false;
    this._cancel(reason);
    return true;
  }

  /** Run `cb(future)` once when the future settles (at once if it already has). Callbacks run in the order added; one that throws is reported and does not stop the others. */
  addDoneCallback(cb: DoneCallback<T>): void {
    checkFunction('cb', cb);
    if (this.done()) callSafely(cb, this);
    else this._listen(cb);
  }

  /**
   * @internal add a listener to a pending future. One is kept as is, more in a Set (called in the order
   * added, removed in O(1)); a function added twice is kept twice, the second time wrapped.
   */
  _listen(listener: Listener<T>): void {
    const cbs = this._callbacks as Listeners<T> | undefined;
    if (cbs === undefined) this._callbacks = listener;
    else if (cbs instanceof Set) cbs.add(cbs.has(listener) ? again(listener) : listener);
    else this._callbacks = new Set([cbs, cbs === listener ? again(listener) : listener]);
  }

  /** @internal remove a listener of a pending future (a wait that gave up holds nothing) */
  _unlisten(listener: Listener<T>): void {
    const cbs = this._callbacks as Listeners<T> | undefined;
    if (cbs === listener) this._callbacks = undefined;
    else if (cbs instanceof Set) cbs.delete(listener);
  }

  /**
   * Wait for the result. `timeout` and `signal` bound this wait only: on
   * expiry it rejects with `TimeoutError` (or `CancelledError`) and the task
   * goes on running.
   */
  result(options?: ResultOptions): Promise<T> {
    if (options === undefined) return this.promise();
    try {
      checkOptions('options', options, RESULT_KEYS);
      if (options.timeout !== undefined) checkDelay('timeout', options.timeout);
      if (options.signal !== undefined) checkSignal('signal', options.signal);
    } catch (error) {
      return Promise.reject(error); // as from every method that returns a promise: bad input rejects
    }
    const { timeout, signal } = options;
    if (this.done() || (timeout === undefined && signal === undefined)) return this.promise();
    if (signal?.aborted) return Promise.reject(new CancelledError('result() wait aborted', { cause: signal.reason }));
    return new Promise<T>((resolve, reject) => {
      const stop = watchFutures(
        [this],
        (future) => {
          stop();
          if (future._state === 'succeeded') resolve(future._outcome as T);
          else reject(future._outcome);
        },
        timeout,
        () => {
          stop();
          reject(new TimeoutError(`result of ${this.label()} not ready after ${timeout} ms`));
        },
        signal,
        (reason) => {
          stop();
          reject(new CancelledError('result() wait aborted', { cause: reason }));
        },
      );
    });
  }

  // biome-ignore lint/suspicious/noThenProperty: a future is awaitable by design.
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.promise().then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.promise().catch(onRejected);
  }

  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.promise().finally(onFinally);
  }

  get [Symbol.toStringTag](): string {
    return 'AsyncFuture';
  }

  /** What `console.log(future)` shows in Node — `AsyncFuture #3 (running)` — rather than its executor's whole state. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AsyncFuture ${this.label()} (${this._state})`;
  }

  /** `JSON.stringify(future)`: `{ id, name, state, attempt }` (a future refers to its executor, a cycle). */
  toJSON(): { id: number; name: string | undefined; state: FutureState; attempt: number } {
    return { id: this.id, name: this.name, state: this._state, attempt: this.attempt };
  }

  /**
   * @internal A promise of the outcome, built only when somebody awaits: a
   * future nobody awaits costs no promise, and its failure can never be an
   * unhandled rejection.
   */
  promise(): Promise<T> {
    if (this._state === 'succeeded') return Promise.resolve(this._outcome as T);
    if (this._state === 'failed' || this._state === 'cancelled') return Promise.reject(this._outcome);
    building = this;
    const promise = new Promise<unknown>(capture) as Promise<T>;
    building = undefined; // hold no future
    return promise;
  }

  /** @internal how `cancel()` settles a pending future; an executor's tasks go through their executor */
  _cancel(reason: unknown): void {
    this._settle('cancelled', toCancelledError(reason, this));
  }

  /** @internal settle exactly once; returns false if already settled */
  _settle(state: 'succeeded' | 'failed' | 'cancelled', outcome: unknown): boolean {
    if (this.done()) return false;
    this._state = state;
    this._outcome = outcome;
    this._runCallbacks();
    return true;
  }

  /** @internal once settled: call the done callbacks, once each */
  _runCallbacks(): void {
    const cbs = this._callbacks as Listeners<T> | undefined;
    if (cbs === undefined) return;
    this._callbacks = undefined;
    if (cbs instanceof Set) for (const cb of cbs) notify(cb, this);
    else notify(cbs, this);
  }

  /** @internal for messages: `"user 7"` or `#12` */
  label(): string {
    return this.name === undefined ? `#${this.id}` : JSON.stringify(this.name);
  }
}

/** The resolving functions of a promise built by {@link AsyncFuture.promise}, settled with the future. */
class Settler {
  constructor(
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/** What a pending future calls when it settles: a done callback, or the promise somebody awaits. */
type Listener<T> = DoneCallback<T> | Settler;
type Listeners<T> = Listener<T> | Set<Listener<T>>;

/** The same listener once more, as a distinct entry (a Settler is never added twice). */
function again<T>(listener: Listener<T>): Listener<T> {
  return typeof listener === 'function' ? (future: AsyncFuture<T>) => listener(future) : listener;
}

/**
 * The future whose promise `new Promise(capture)` is building: the executor
 * runs synchronously, so one module-level function serves every future
 * instead of two closures per awaited future.
 */
let building: AsyncFuture<unknown> | undefined;

function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  (building as AsyncFuture<unknown>)._listen(new Settler(resolve, reject));
}

function notify<T>(listener: Listener<T>, future: AsyncFuture<T>): void {
  if (typeof listener === 'function') callSafely(listener, future);
  else if (future._state === 'succeeded') listener.resolve(future._outcome);
  else listener.reject(future._outcome);
}

function callSafely<T>(cb: DoneCallback<T>, future: AsyncFuture<T>): void {
  try {
    cb(future);
  } catch (error) {
    reportError(error);
  }
}

/** @internal */
export function toCancelledError(reason: unknown, future: AsyncFuture<unknown>): CancelledError {
  if (reason instanceof CancelledError) return reason;
  return new CancelledError(
    `task ${future.label()} was cancelled`,
    reason === undefined ? undefined : { cause: reason },
  );
}

/**
 * @internal One wait on futures — `result()`, `wait` and `asCompleted`: `settled(f)` as each of `futures`
 * settles, `timedOut()` after `timeout` ms, `aborted(reason)` when `signal` aborts (not aborted yet).
 * Returns `stop()`, which leaves nothing behind: no timer, no listener on the signal or on a future.
 */
export function watchFutures<F extends AsyncFuture<unknown>>(
  futures: Iterable<F>,
  settled: (future: F) => void,
  timeout: number | undefined,
  timedOut: () => void,
  signal: AbortSignal | undefined,
  aborted: (reason: unknown) => void,
): () => void {
  /** the futures not settled yet: one that settles is let go at once (a long asCompleted holds no future it yielded) */
  const listening = new Set<F>();
  const heard = (f: F) => {
    listening.delete(f);
    settled(f);
  };
  for (const f of futures) {
    if (f.done()) continue;
    f._listen(heard as Listener<unknown>);
    listening.add(f);
  }
  const timer = timeout === undefined ? undefined : setTimer(timedOut, timeout);
  let stopped = false;
  const place = {
    cancel: (reason: unknown) => {
      // Aborted from a done callback of a future that has settled before this wait heard it: that
      // settling is heard first (its other callbacks, this wait's among them, run before the
      // microtask), as if the abort came a moment later.
      for (const f of listening) {
        if (!f.done()) continue;
        queueMicrotask(() => {
          if (!stopped) aborted(reason);
        });
        return;
      }
      aborted(reason);
    },
  };
  if (signal !== undefined) callerSignals.add(signal, place);
  return () => {
    stopped = true;
    clearTimer(timer);
    if (signal !== undefined) callerSignals.delete(signal, place);
    for (const f of listening) f._unlisten(heard as Listener<unknown>);
    listening.clear();
  };
}

/** True for an {@link AsyncFuture} (of any executor). */
export function isFuture(value: unknown): value is AsyncFuture<unknown> {
  return value instanceof AsyncFuture;
}
