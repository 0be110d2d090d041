import { AsyncFuture, type FutureOwner } from './future.js';
import type { ResolvedTaskOptions } from './options.js';
import type { TaskQueue } from './task-queue.js';
import type { TimerHandle } from './time.js';
import type { Waiter } from './waiters.js';

/** What a task function receives. Pass `signal` on to `fetch` and friends. */
export interface TaskContext {
  /** Aborts on cancel, attempt timeout, shutdown with `cancelFutures`, and the caller's signal. */
  readonly signal: AbortSignal;
  /** This attempt, 1-based. */
  readonly attempt: number;
  /** The future's `id`. */
  readonly taskId: number;
  /** The worker slot running this attempt (0-based). */
  readonly workerId: number;
}

/** A task function given to `submit`. */
export type TaskFn<T> = (ctx: TaskContext) => T | PromiseLike<T>;

/** A function given to `map`/`mapIter`: called with each item. */
export type MapFn<I, R> = (item: I, ctx: TaskContext) => R | PromiseLike<R>;

/** Marks a task made by `submit` (called as `fn(ctx)`), as opposed to a map item (`fn(item, ctx)`). */
export const NO_ARG: unique symbol = Symbol('no argument');

/** A concurrency limit shared by the tasks of one `map` call (`maxConcurrency`). */
export interface Group {
  limit: number;
  active: number;
  /** @internal tasks that reached the front of the queue while the group was full, in that order */
  parked: TaskQueue<Task<unknown>>;
}

/** Rarely needed per-task state, allocated only when a task needs it. */
export interface TaskExtra {
  /** a semaphore permit taken before a worker slot */
  permit: boolean;
  /** waiting for a semaphore permit or a rate-limit token */
  waiter: Waiter | undefined;
  /** the wait before a retry */
  retryTimer: TimerHandle | undefined;
  /** the item's index in a map */
  index: number;
  /** a failed map item's thrown non-Error, wrapped once for `returnExceptions` (see asError) */
  wrapped: Error | undefined;
}

/**
 * The `TaskContext` handed to the task function: a plain object of exactly the four own, enumerable
 * properties `{ signal, attempt, taskId, workerId }` — a spread (`{ ...ctx }`) passes all four on,
 * `JSON.stringify` and `toEqual` see nothing else — whose `signal` is built on its first read: an
 * `AbortController` costs more than the rest of a task, and most immediate tasks never read it. The
 * object is a proxy whose handler is the attempt itself (an own getter per context,
 * `Object.defineProperty`, costs ten times as much).
 */
export function taskContext(of: Attempt): TaskContext {
  const fields: ContextFields = { signal: NOT_READ, attempt: of.attempt, taskId: of.task.id, workerId: of.workerId };
  return new Proxy(fields, of) as unknown as TaskContext;
}

/** What `console.log(ctx)` shows for a `signal` the task has not read yet (it sees the proxy's fields). */
class SignalNotReadYet {}
const NOT_READ = new SignalNotReadYet();

type ContextFields = { signal: AbortSignal | SignalNotReadYet; attempt: number; taskId: number; workerId: number };

/**
 * One attempt, holding one worker slot: the executor's record of it. The task function gets a
 * {@link taskContext} of it; its `AbortController` is only built if the task reads `signal`.
 */
export class Attempt implements ProxyHandler<ContextFields> {
  attempt = 0;
  /** the outcome of this attempt still decides the future (false once cancelled or timed out) */
  live = false;
  /** still holds its worker slot: released only when the task's own promise settles */
  slot = true;
  /** the task function was called for this attempt (false while it holds a slot waiting for a token) */
  started = false;
  /** a semaphore permit held for this attempt */
  permit = false;
  timer: TimerHandle | undefined = undefined;
  private ctrl: AbortController | undefined = undefined;
  private reason: unknown = undefined;

  constructor(
    readonly task: Task<unknown>,
    readonly workerId: number,
  ) {}

  /** It holds a slot only to wait for a rate-limit token: its task is queued and its function not called yet. */
  get waitingForToken(): boolean {
    return this.slot && !this.started && this.task._state === 'queued';
  }

  get signal(): AbortSignal {
    let ctrl = this.ctrl;
    if (ctrl === undefined) {
      ctrl = this.ctrl = new AbortController();
      if (this.reason !== undefined) ctrl.abort(this.reason);
    }
    return ctrl.signal;
  }

  abort(reason: unknown): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.ctrl?.abort(reason);
  }

  /** The proxy trap of its {@link taskContext}'s reads: `signal` is built on the first. */
  get(fields: ContextFields, key: string | symbol): unknown {
    if (key !== 'signal') return Reflect.get(fields, key);
    if (fields.signal === NOT_READ) fields.signal = this.signal;
    return fields.signal;
  }

  /** The same for a spread, `Object.entries` or `JSON.stringify`, which look at the property first. */
  getOwnPropertyDescriptor(fields: ContextFields, key: string | symbol): PropertyDescriptor | undefined {
    if (key === 'signal' && fields.signal === NOT_READ) fields.signal = this.signal;
    return Reflect.getOwnPropertyDescriptor(fields, key);
  }
}

/** The executor's record of a task: the future the user holds, plus what scheduling needs. */
export class Task<T> extends AsyncFuture<T> {
  /** @internal */ _fn: ((...args: never[]) => unknown) | undefined;
  /** @internal */ _opts: ResolvedTaskOptions;
  /** @internal the current (or last) attempt */ _ctx: Attempt | undefined = undefined;
  /**
   * @internal Rare state (see {@link TaskExtra}); until a task needs it, the
   * field holds just the item's index in a map (-1: a submitted task): one field fewer per task.
   */
  _more: TaskExtra | number = -1;

  constructor(fn: (...args: never[]) => unknown, arg: unknown, opts: ResolvedTaskOptions) {
    super();
    this._fn = fn;
    // Until the task settles, `_outcome` holds its argument (a map's item, or NO_ARG): one field fewer per task.
    this._outcome = arg;
    this._opts = opts;
  }

  /** The current attempt, 1-based (0 before the first start), kept by the attempt itself. */
  override get attempt(): number {
    return this._ctx?.attempt ?? 0;
  }

  // Read from the options shared by every task of a submit default or a map call, not stored per task.
  override get name(): string | undefined {
    return this._opts.name;
  }

  /** @internal */
  get _priority(): number {
    return this._opts.priority;
  }

  /** @internal */
  get _group(): Group | undefined {
    return this._opts.group;
  }

  /** @internal */
  override _cancel(reason: unknown): void {
    (this._opts.owner as FutureOwner).cancelTask(this, reason);
  }

  /** @internal the rare state, if the task ever needed it */
  get _extra(): TaskExtra | undefined {
    const more = this._more;
    return typeof more === 'number' ? undefined : more;
  }

  /** @internal the item's index in a map (-1 for a submitted task) */
  get _tag(): number {
    const more = this._more;
    return typeof more === 'number' ? more : more.index;
  }

  set _tag(index: number) {
    if (typeof this._more === 'number') this._more = index;
    else this._more.index = index;
  }

  /** @internal for messages: a map's item says which one (`#12 (item 3)`, `"users" (item 3)`) */
  override label(): string {
    const index = this._tag;
    return index < 0 ? super.label() : `${super.label()} (item ${index + this._opts.first})`;
  }

  /** @internal leave the semaphore's or rate limiter's queue it waits in, if any */
  _leaveLine(): void {
    const extra = this._extra;
    if (extra?.waiter === undefined) return;
    extra.waiter.cancel();
    extra.waiter = undefined;
  }

  /** @internal */
  extra(): TaskExtra {
    let extra = this._more;
    if (typeof extra === 'number') {
      extra = this._more = {
        permit: false,
        waiter: undefined,
        retryTimer: undefined,
        index: extra,
        wrapped: undefined,
      };
    }
    return extra;
  }
}
