/**
 * One-shot helpers (pyferris, lionfuncs' AsyncUtils): each runs on a private
 * executor for the length of one call, so they share every rule of the
 * executor (limits, retries, cancellation) rather than re-implementing them.
 */
import { AsyncExecutor } from './executor.js';
import { batched, checkIterable } from './iterables.js';
import { mapAll } from './map.js';
import {
  DEFAULT_EXECUTOR_OPTIONS,
  type MapOptions,
  type MapProgress,
  RETRY_KEYS,
  TASK_KEYS,
  type TaskOptions,
} from './options.js';
import { toRateLimiter } from './rate-limiter.js';
import type { MapFn, TaskContext, TaskFn } from './task.js';
import { checkFunction, checkInt, checkObject, checkOptions, describe } from './validate.js';

/** Options of {@link parallelMap} and {@link parallelFilter}. */
export interface ParallelOptions extends MapOptions {
  /** Items processed at once. @default 10 */
  maxConcurrent?: number | undefined;
}

async function withExecutor<T>(
  maxConcurrent: number | undefined,
  run: (executor: AsyncExecutor) => Promise<T>,
): Promise<T> {
  const maxWorkers =
    maxConcurrent === undefined
      ? DEFAULT_EXECUTOR_OPTIONS.maxWorkers
      : checkInt('maxConcurrent', maxConcurrent, 1, true);
  const executor = new AsyncExecutor({ maxWorkers });
  try {
    return await run(executor);
  } finally {
    void executor.shutdown({ wait: false });
  }
}

function split<O extends { maxConcurrent?: number | undefined }>(
  options: O | undefined,
): [number | undefined, Omit<O, 'maxConcurrent'>] {
  if (options === undefined) return [undefined, {} as Omit<O, 'maxConcurrent'>];
  checkObject('options', options);
  const { maxConcurrent, ...rest } = options;
  return [maxConcurrent, rest];
}

/**
 * `fn` over every item, at most `maxConcurrent` at once; results in input order.
 * @example
 * const pages = await parallelMap((url, { signal }) => fetch(url, { signal }).then((r) => r.text()), urls, { maxConcurrent: 4 });
 */
export function parallelMap<I, R>(
  fn: MapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options: ParallelOptions & { returnExceptions: true },
): Promise<(Awaited<R> | Error)[]>;
export function parallelMap<I, R>(
  fn: MapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options?: ParallelOptions & { returnExceptions?: false | undefined },
): Promise<Awaited<R>[]>;
export function parallelMap<I, R>(
  fn: MapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options?: ParallelOptions,
): Promise<(Awaited<R> | Error)[]>;
export function parallelMap<I, R>(
  fn: MapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options?: ParallelOptions,
): Promise<unknown[]> {
  try {
    const [maxConcurrent, rest] = split(options);
    return withExecutor(maxConcurrent, (executor) => executor.map(fn, items, rest));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The items whose async predicate holds, in input order, at most `maxConcurrent` at once.
 * @example
 * const alive = await parallelFilter(async (host) => ping(host), hosts, { maxConcurrent: 8 });
 */
export function parallelFilter<I, S extends I>(
  pred: (item: I, ctx: TaskContext) => item is S,
  items: Iterable<I> | AsyncIterable<I>,
  options?: Omit<ParallelOptions, 'returnExceptions'>,
): Promise<S[]>;
export function parallelFilter<I>(
  pred: MapFn<I, unknown>,
  items: Iterable<I> | AsyncIterable<I>,
  options?: Omit<ParallelOptions, 'returnExceptions'>,
): Promise<I[]>;
export function parallelFilter<I>(
  pred: MapFn<I, unknown>,
  items: Iterable<I> | AsyncIterable<I>,
  options?: Omit<ParallelOptions, 'returnExceptions'>,
): Promise<I[]> {
  try {
    const [maxConcurrent, rest] = split(options);
    return withExecutor(maxConcurrent, (executor) => executor.filter(pred, items, rest));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A thunk given to {@link gatherWithConcurrency}: called with no argument, returns a value or a promise. */
type Thunk = () => unknown;

/** What a thunk's call settles to. */
type ThunkResult<F> = F extends () => infer R ? Awaited<R> : never;

/**
 * The results of {@link gatherWithConcurrency}, each `| E`: place by place (a
 * tuple, like `Promise.all`) for two thunks or more at known places (an array
 * literal, a tuple); an array for any other iterable, a single thunk included.
 */
type GatherResults<T extends Iterable<Thunk>, E> = T extends readonly [Thunk, Thunk, ...Thunk[]]
  ? { -readonly [K in keyof T]: ThunkResult<T[K]> | E }
  : T extends Iterable<infer F>
    ? (ThunkResult<F> | E)[]
    : never;

/**
 * Run the thunks at most `n` at once; results in input order. With
 * `returnExceptions`, a failure takes its place in the results instead of
 * rejecting. Two thunks or more written as an array literal (or a tuple) type
 * the results as a tuple, like `Promise.all`; any other iterable gives an array.
 * @example
 * const [user, count] = await gatherWithConcurrency(2, [() => fetchUser(), () => fetchCount()]); // [User, number]
 */
export function gatherWithConcurrency<const T extends Iterable<Thunk>>(
  n: number,
  thunks: T,
  options: { returnExceptions: true },
): Promise<GatherResults<T, Error>>;
export function gatherWithConcurrency<const T extends Iterable<Thunk>>(
  n: number,
  thunks: T,
  options?: { returnExceptions?: false | undefined },
): Promise<GatherResults<T, never>>;
export function gatherWithConcurrency<const T extends Iterable<Thunk>>(
  n: number,
  thunks: T,
  options?: { returnExceptions?: boolean | undefined },
): Promise<GatherResults<T, Error>>;
export function gatherWithConcurrency<T>(
  n: number,
  thunks: Iterable<() => T | PromiseLike<T>>,
  options: { returnExceptions: true },
): Promise<(Awaited<T> | Error)[]>;
export function gatherWithConcurrency<T>(
  n: number,
  thunks: Iterable<() => T | PromiseLike<T>>,
  options?: { returnExceptions?: false | undefined },
): Promise<Awaited<T>[]>;
export function gatherWithConcurrency<T>(
  n: number,
  thunks: Iterable<() => T | PromiseLike<T>>,
  options?: { returnExceptions?: boolean | undefined },
): Promise<(Awaited<T> | Error)[]>;
export function gatherWithConcurrency<T>(
  n: number,
  thunks: Iterable<() => T | PromiseLike<T>>,
  options: { returnExceptions?: boolean | undefined } = {},
): Promise<unknown> {
  try {
    checkInt('n', n, 1, true);
    if (thunks == null || typeof (thunks as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`thunks must be an iterable of functions, got ${describe(thunks)}`);
    }
    checkObject('options', options);
    // Every thunk is checked before the first one runs.
    const list = Array.from(thunks);
    for (const [i, thunk] of list.entries()) checkFunction(`thunks[${i}]`, thunk);
    return parallelMap((thunk: () => T | PromiseLike<T>) => thunk(), list, { ...options, maxConcurrent: n });
  } catch (error) {
    return Promise.reject(error);
  }
}

const RETRY_OPTION_KEYS: ReadonlySet<string> = new Set([...RETRY_KEYS, 'signal', 'name']);
const BATCH_KEYS: ReadonlySet<string> = new Set([
  ...TASK_KEYS,
  'batchSize',
  'maxConcurrent',
  'onBatchComplete',
  'returnExceptions',
  'onProgress',
]);

/** Options of {@link retry}: the executor's retry and timeout settings. */
export type RetryOptions = Pick<
  TaskOptions,
  'retries' | 'retryDelay' | 'backoff' | 'maxRetryDelay' | 'jitter' | 'retryIf' | 'timeout' | 'signal' | 'name'
>;

/**
 * Call `fn(ctx)` until it succeeds or the retries are spent (`retries` defaults to 0, one attempt, as
 * for every task: pass it); rejects with the last attempt's own error. `ctx.attempt` counts from 1.
 * @example
 * const data = await retry(({ signal }) => fetchJson(url, signal), { retries: 3, retryDelay: 200 });
 */
export function retry<T>(fn: TaskFn<T>, options: RetryOptions = {}): Promise<Awaited<T>> {
  try {
    checkFunction('fn', fn);
    checkOptions('options', options, RETRY_OPTION_KEYS); // what RetryOptions names: not every task option
    // One task, whose attempts follow one another anyway; no worker limit, so that an attempt that timed
    // out but ignores its signal (it keeps a worker until it returns) does not hold the next one back.
    return withExecutor(Number.POSITIVE_INFINITY, (executor) => executor.submit(fn, options).result());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Options of {@link batchProcess}: its own, plus every task option, applied to each item. */
export interface BatchProcessOptions<R> extends TaskOptions {
  /** Items per batch. @default 10 */
  batchSize?: number | undefined;
  /** Items of a batch processed at once. @default 10 */
  maxConcurrent?: number | undefined;
  /** Called once per batch, in order, with that batch's results (errors among them with `returnExceptions`). */
  onBatchComplete?: ((results: R[], batchIndex: number) => void | PromiseLike<void>) | undefined;
  /** Put a failed item's error in the results instead of rejecting. @default false */
  returnExceptions?: boolean | undefined;
  /** Called after each item finishes, with the counts of the whole call (`total`: an array's length, else `undefined`). */
  onProgress?: ((progress: MapProgress) => void) | undefined;
}

/**
 * Process `items` batch by batch (`batchSize` at a time, `maxConcurrent` of a
 * batch at once); results in input order. `onBatchComplete(results, index)`
 * runs once after each batch.
 * @example
 * const saved = await batchProcess(rows, (row) => db.insert(row), { batchSize: 100, maxConcurrent: 4 });
 */
export function batchProcess<I, R>(
  items: Iterable<I> | AsyncIterable<I>,
  processor: MapFn<I, R>,
  options: BatchProcessOptions<Awaited<R> | Error> & { returnExceptions: true },
): Promise<(Awaited<R> | Error)[]>;
export function batchProcess<I, R>(
  items: Iterable<I> | AsyncIterable<I>,
  processor: MapFn<I, R>,
  options?: BatchProcessOptions<Awaited<R>> & { returnExceptions?: false | undefined },
): Promise<Awaited<R>[]>;
export function batchProcess<I, R>(
  items: Iterable<I> | AsyncIterable<I>,
  processor: MapFn<I, R>,
  options?: BatchProcessOptions<Awaited<R>> | BatchProcessOptions<Awaited<R> | Error>,
): Promise<(Awaited<R> | Error)[]>;
export async function batchProcess<I, R>(
  items: Iterable<I> | AsyncIterable<I>,
  processor: MapFn<I, R>,
  options: BatchProcessOptions<Awaited<R> | Error> = {},
): Promise<(Awaited<R> | Error)[]> {
  checkIterable('items', items);
  checkOptions('options', options, BATCH_KEYS); // a map's own options (maxConcurrency, ordered…) are not batchProcess's
  checkFunction('processor', processor);
  const { batchSize = 10, maxConcurrent, onBatchComplete, onProgress, ...mapOptions } = options;
  checkInt('batchSize', batchSize, 1);
  if (onBatchComplete !== undefined) checkFunction('onBatchComplete', onBatchComplete);
  if (onProgress !== undefined) checkFunction('onProgress', onProgress);
  const batches = batched(items as Iterable<I>, batchSize) as Iterable<I[]> | AsyncIterable<I[]>;
  return withExecutor(maxConcurrent, async (executor) => {
    // One rate limit and one count of progress for the whole call, not one per batch's map.
    const { rateLimit } = mapOptions;
    const perItem =
      rateLimit === undefined ? mapOptions : { ...mapOptions, rateLimit: toRateLimiter(rateLimit, 'rateLimit') };
    executor.prepare(processor, [], perItem); // every map option checked now, not at the first batch
    const total = Array.isArray(items) ? items.length : undefined;
    let done = 0; // items of the batches before this one
    let failed = 0;
    let failedInBatch = 0;
    const results: (Awaited<R> | Error)[] = [];
    let index = 0;
    for await (const batch of batches) {
      const prepared = executor.prepare(processor, batch, {
        ...perItem,
        onProgress:
          onProgress &&
          ((p) => {
            failedInBatch = p.failed;
            onProgress({ done: done + p.done, failed: failed + p.failed, total });
          }),
      });
      prepared.opts = { ...prepared.opts, first: done }; // messages count items across batches: `(item 12)`
      const batchResults = (await mapAll(prepared)) as (Awaited<R> | Error)[];
      done += batch.length;
      failed += failedInBatch;
      failedInBatch = 0;
      results.push(...batchResults);
      await onBatchComplete?.(batchResults, index++);
    }
    return results;
  });
}
