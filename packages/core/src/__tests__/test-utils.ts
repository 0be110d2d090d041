/**
 * Shared helpers of the core test suite. Time is always the fake clock
 * (`useFakeTimers()` below): `sleep` goes through the global `setTimeout`
 * looked up when called, so `vi.advanceTimersByTimeAsync` drives it.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, vi } from 'vitest';
import { AsyncExecutor } from '../executor.js';
import type { AsyncFuture } from '../future.js';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T | PromiseLike<T>): void;
  reject(reason?: unknown): void;
}

/** A promise with its resolve/reject handed out. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let pending microtasks run, and the ones they queue (no timer fires). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * Resolve after `ms` on the (fake) clock. With `signal`, reject with its
 * reason when it aborts and clear the timer — a task that honours its signal.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Fake timers (and a fake `Date`) around every test of the calling file or `describe` block. */
export function useFakeTimers(config?: Parameters<typeof vi.useFakeTimers>[0]): void {
  beforeEach(() => {
    vi.useFakeTimers(config);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Attach handlers to `p` at once (so nothing is reported unhandled while the
 * test moves time on) and resolve with what it did.
 */
export function outcome<T>(p: PromiseLike<T>): Promise<Outcome<T>> {
  return Promise.resolve(p).then(
    (value): Outcome<T> => ({ ok: true, value }),
    (error: unknown): Outcome<T> => ({ ok: false, error }),
  );
}

/** The error `p` rejects with; fails the test if it fulfils. */
export async function rejection(p: PromiseLike<unknown>): Promise<unknown> {
  const o = await outcome(p);
  if (o.ok) throw new Error(`expected a rejection, got ${String(o.value)}`);
  return o.error;
}

/** The outcome of `p`, readable synchronously (`box.current`) once it has settled. */
export function outcomeBox<T>(p: PromiseLike<T>): { current: Outcome<T> | undefined } {
  const box: { current: Outcome<T> | undefined } = { current: undefined };
  p.then(
    (value) => {
      box.current = { ok: true, value };
    },
    (error: unknown) => {
      box.current = { ok: false, error };
    },
  );
  return box;
}

/** Counts calls in flight, measured inside the task functions themselves. */
export class Gauge {
  current = 0;
  peak = 0;
  enter(): void {
    this.current++;
    this.peak = Math.max(this.peak, this.current);
  }
  exit(): void {
    this.current--;
  }
  /** Run `body` counted. */
  async run<T>(body: () => Promise<T> | T): Promise<T> {
    this.enter();
    try {
      return await body();
    } finally {
      this.exit();
    }
  }
}

/** Every value of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** Number of `abort` listeners on a signal (Node's `getEventListeners`). */
export function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

/** Runs the ready-made futures below: a sync task settles at once when a worker is free. */
let fixtures: AsyncExecutor | undefined;
function fixtureExecutor(): AsyncExecutor {
  fixtures ??= new AsyncExecutor({ maxWorkers: Number.POSITIVE_INFINITY, name: 'fixtures' });
  return fixtures;
}

/** A future that has already succeeded with 42 (cf-taskpool's `successful_future()`). */
export function successfulFuture(): AsyncFuture<number> {
  return fixtureExecutor().submit(() => 42);
}

/** A future that has already failed with `error` (cf-taskpool's `exception_future()`, an `OSError()`). */
export function exceptionFuture(error: unknown = new OSError()): AsyncFuture<number> {
  return fixtureExecutor().submit((): number => {
    throw error;
  });
}

/** A future that is already cancelled (cf-taskpool's `cancelled_future()`). */
export function cancelledFuture(): AsyncFuture<number> {
  return fixtureExecutor().submit(() => 1, { signal: AbortSignal.abort() });
}

/** Stands for Python's `OSError` in ported cases. */
export class OSError extends Error {
  override name = 'OSError';
}

/**
 * Settle `p` while running every fake timer (for code that waits on the fake
 * clock); returns its value or throws its error.
 */
export async function withTime<T>(p: PromiseLike<T>): Promise<T> {
  const o = outcome(p);
  await vi.runAllTimersAsync();
  const r = await o;
  if (!r.ok) throw r.error;
  return r.value;
}

/** `0, 1, 2, …` forever, counting how many were pulled and whether it was closed (Python's `itertools.count()`). */
export function counter(): {
  iterator: Generator<number, void, undefined>;
  pulled: () => number;
  closed: () => boolean;
} {
  let pulled = 0;
  let closed = false;
  function* count(): Generator<number, void, undefined> {
    try {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { iterator: count(), pulled: () => pulled, closed: () => closed };
}

/** Move the fake clock 1 ms at a time until `p` settles (at most `limit` ms); returns its value or throws. */
export async function soon<T>(p: PromiseLike<T>, limit = 10_000): Promise<T> {
  let settled = false;
  const o = outcome(p).finally(() => (settled = true));
  await flush();
  for (let t = 0; !settled && t < limit; t++) await vi.advanceTimersByTimeAsync(1);
  const r = await o;
  if (!r.ok) throw r.error;
  return r.value;
}

/** Resolves to true once `p` has settled, without moving time. */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await flush();
  return settled;
}

/** Largest number of times inside any half-open window (t − width, t]. */
export function maxInWindow(times: readonly number[], width: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[lo] as number) <= (sorted[hi] as number) - width) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

/** What a random task does (property tests): how long, sync or async, whether it fails, whether it honours its signal. */
export interface Work {
  duration: number;
  sync: boolean;
  fails: boolean;
  ignoresSignal: boolean;
}

/**
 * Do `w` as a task function would, sleeping with `sleepFor` (given `signal` unless the work ignores
 * it); `exit` runs once it ends, before a synchronous throw or after the async work.
 */
export function perform(
  w: Work,
  signal: AbortSignal,
  sleepFor: (ms: number, signal?: AbortSignal) => Promise<void>,
  exit: () => void,
): string | Promise<string> {
  if (w.sync) {
    exit();
    if (w.fails) throw new Error('sync failure');
    return 'sync';
  }
  return (async () => {
    try {
      await sleepFor(w.duration, w.ignoresSignal ? undefined : signal);
      if (w.fails) throw new Error('async failure');
      return 'async';
    } finally {
      exit();
    }
  })();
}
