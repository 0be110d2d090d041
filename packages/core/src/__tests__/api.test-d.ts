import { describe, expectTypeOf, it } from 'vitest';
import type { AsyncExecutor } from '../executor.js';
import { fetchTask } from '../fetch.js';
import { type AsyncFuture, AsyncFuture as AsyncFutureClass, type FutureState } from '../future.js';
import {
  type BatchProcessOptions,
  batchProcess,
  gatherWithConcurrency,
  parallelFilter,
  parallelMap,
} from '../helpers.js';
import { defaultRetryIf, MapRun, type MapRunResult, type RetryIf, type RetryPolicy, retryDelayFor } from '../index.js';
import type { MapOptions } from '../options.js';
import type { RateLimiterOptions, RateLimitOptions } from '../rate-limiter.js';
import type { ExecutorSnapshot } from '../snapshot.js';
import type { TaskContext } from '../task.js';
import { asCompleted, type WaitResult, wait } from '../wait.js';

declare const executor: AsyncExecutor;
declare const numbers: AsyncFuture<number>;
declare const strings: AsyncFuture<string>;
declare function names(): AsyncGenerator<string>;

describe('submit', () => {
  it('infers the awaited result of the task', () => {
    expectTypeOf(executor.submit(() => 42)).toEqualTypeOf<AsyncFuture<number>>();
    expectTypeOf(executor.submit(async () => 'x')).toEqualTypeOf<AsyncFuture<string>>();
    expectTypeOf(executor.submit(() => Promise.resolve([1]))).toEqualTypeOf<AsyncFuture<number[]>>();
    expectTypeOf(executor.submit(async () => {})).toEqualTypeOf<AsyncFuture<void>>();
    expectTypeOf(
      executor.submit((): never => {
        throw new Error('x');
      }),
    ).toEqualTypeOf<AsyncFuture<never>>();
  });

  it('passes a TaskContext and yields a future to await', async () => {
    executor.submit((ctx) => {
      expectTypeOf(ctx).toEqualTypeOf<TaskContext>();
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
      expectTypeOf(ctx.attempt).toEqualTypeOf<number>();
      expectTypeOf(ctx.taskId).toEqualTypeOf<number>();
      expectTypeOf(ctx.workerId).toEqualTypeOf<number>();
    });
    expectTypeOf(await numbers).toEqualTypeOf<number>();
    expectTypeOf(numbers.result({ timeout: 10 })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(numbers.state).toEqualTypeOf<FutureState>();
    expectTypeOf(numbers.exception()).toEqualTypeOf<unknown>();
    expectTypeOf(numbers.cancel()).toEqualTypeOf<boolean>();
    numbers.addDoneCallback((f) => expectTypeOf(f).toEqualTypeOf<AsyncFuture<number>>());
  });

  it('rejects what is not a task', () => {
    // @ts-expect-error a value, not a function
    executor.submit(42);
    // @ts-expect-error a promise, not a function
    executor.submit(Promise.resolve(1));
    // @ts-expect-error maxConcurrency is a map option
    executor.submit(() => 1, { maxConcurrency: 2 });
  });

  it('a future is made by an executor, not with new (it would stay queued for ever)', () => {
    // @ts-expect-error the constructor is protected
    const orphan = () => new AsyncFutureClass();
    expectTypeOf(orphan).toBeFunction();
  });

  it('futures are covariant: a future of a narrower type fits a wider one', () => {
    expectTypeOf(numbers).toMatchTypeOf<AsyncFuture<number | string>>();
    expectTypeOf(numbers).toMatchTypeOf<AsyncFuture<unknown>>();
  });
});

describe('map, mapIter, filter', () => {
  it('map infers the item from the input and the result from fn', () => {
    expectTypeOf(executor.map((x) => x * 2, [1, 2, 3])).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(executor.map(async (x: number) => String(x), new Set([1]))).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(executor.map((name) => name.length, names())).toEqualTypeOf<Promise<number[]>>();
    void executor.map(
      (item, ctx) => {
        expectTypeOf(item).toEqualTypeOf<string>();
        expectTypeOf(ctx).toEqualTypeOf<TaskContext>();
        return item;
      },
      ['a'],
    );
  });

  it('returnExceptions: true adds Error to the element type', () => {
    expectTypeOf(executor.map(async (x: number) => x, [1], { returnExceptions: true })).toEqualTypeOf<
      Promise<(number | Error)[]>
    >();
    expectTypeOf(executor.mapIter(async (x: number) => x, [1], { returnExceptions: true })).toEqualTypeOf<
      AsyncIterableIterator<number | Error>
    >();
  });

  it('returnExceptions not known to be false (a boolean, an options variable) also adds Error', () => {
    const work = async (x: number) => x;
    const variable: MapOptions = { retries: 2 };
    const flag = Math.random() > 0.5;
    const inferred = { retries: 3, returnExceptions: true }; // widened to boolean
    expectTypeOf(executor.map(work, [1], variable)).toEqualTypeOf<Promise<(number | Error)[]>>();
    expectTypeOf(executor.map(work, [1], { returnExceptions: flag })).toEqualTypeOf<Promise<(number | Error)[]>>();
    expectTypeOf(executor.map(work, [1], inferred)).toEqualTypeOf<Promise<(number | Error)[]>>();
    expectTypeOf(executor.mapIter(work, [1], variable)).toEqualTypeOf<AsyncIterableIterator<number | Error>>();
    expectTypeOf(parallelMap(work, [1], { maxConcurrent: 2, returnExceptions: flag })).toEqualTypeOf<
      Promise<(number | Error)[]>
    >();
    expectTypeOf(gatherWithConcurrency(2, [() => 1], { returnExceptions: flag })).toEqualTypeOf<
      Promise<(number | Error)[]>
    >();
    // …while options without it, or with false or undefined, keep the plain results.
    const plain = { retries: 3, timeout: 1000 };
    expectTypeOf(executor.map(work, [1], plain)).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(executor.map(work, [1], { returnExceptions: false })).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(executor.map(work, [1], { returnExceptions: undefined })).toEqualTypeOf<Promise<number[]>>();
  });

  it('MapRun types its results the same way (its snapshot and start())', () => {
    const work = async (x: number) => x;
    const variable: MapOptions = { retries: 2 };
    const plainRun = new MapRun(executor, work, [1]);
    expectTypeOf(plainRun.start()).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(plainRun.getSnapshot().results).toEqualTypeOf<readonly (number | undefined)[]>();
    expectTypeOf(new MapRun(executor, work, [1], { retries: 2 }).start()).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(new MapRun(executor, work, [1], { returnExceptions: false }).start()).toEqualTypeOf<
      Promise<number[]>
    >();
    const withErrors = new MapRun(executor, work, [1], { returnExceptions: true });
    expectTypeOf(withErrors.start()).toEqualTypeOf<Promise<(number | Error)[]>>();
    expectTypeOf(withErrors.getSnapshot().results).toEqualTypeOf<readonly (number | Error | undefined)[]>();
    // a completed item's value is a value: a failed one has `error` instead
    expectTypeOf(withErrors.getSnapshot().completed[0]?.value).toEqualTypeOf<number | undefined>();
    expectTypeOf(new MapRun(executor, work, [1], variable).start()).toEqualTypeOf<Promise<(number | Error)[]>>();
  });

  it('an optional options argument passes through (typed MapOptions | undefined)', () => {
    const forward = (options?: MapOptions) => executor.map(async (x: number) => x, [1], options);
    expectTypeOf(forward).returns.toEqualTypeOf<Promise<(number | Error)[]>>();
    const forwardIter = (options?: MapOptions) => executor.mapIter(async (x: number) => x, [1], options);
    expectTypeOf(forwardIter).returns.toEqualTypeOf<AsyncIterableIterator<number | Error>>();
    const forwardGather = (options?: { returnExceptions?: boolean }) => gatherWithConcurrency(2, [() => 1], options);
    expectTypeOf(forwardGather).returns.toEqualTypeOf<Promise<(number | Error)[]>>();
    const batchOptions: BatchProcessOptions<number> = {
      batchSize: 2,
      onBatchComplete: (rs) => void rs.map((r) => r + 1),
    };
    batchProcess([1, 2], async (n: number) => n * 2, batchOptions);
    const mixed: (string | number)[] = ['a', 1];
    expectTypeOf(parallelFilter((x): x is string => typeof x === 'string', mixed)).toEqualTypeOf<Promise<string[]>>();
  });

  it('options take undefined for "not set", also under exactOptionalPropertyTypes', () => {
    const maybe: { signal?: AbortSignal | undefined; timeout?: number | undefined; name?: string | undefined } = {};
    executor.submit(() => 1, { signal: maybe.signal, timeout: maybe.timeout, name: maybe.name });
    executor.map(async (x: number) => x, [1], { maxConcurrency: maybe.timeout, signal: maybe.signal });
    numbers.result({ timeout: maybe.timeout, signal: maybe.signal });
    void executor.shutdown({ wait: undefined, cancelFutures: undefined });
  });

  it('mapIter yields the awaited results', async () => {
    const it = executor.mapIter(async (s: string) => s.length, names(), { bufferSize: 4, ordered: false });
    expectTypeOf(it).toEqualTypeOf<AsyncIterableIterator<number>>();
    for await (const n of it) expectTypeOf(n).toEqualTypeOf<number>();
  });

  it('filter keeps the item type, narrowed by a type guard', () => {
    expectTypeOf(executor.filter(async (x: number) => x > 1, [1, 2])).toEqualTypeOf<Promise<number[]>>();
    const mixed: (string | number)[] = ['a', 1];
    expectTypeOf(executor.filter((x): x is string => typeof x === 'string', mixed)).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(executor.filter((s) => s.length > 1, names())).toEqualTypeOf<Promise<string[]>>();
  });

  it('rejects a non-iterable input and unknown options', () => {
    // @ts-expect-error a number is not iterable
    executor.map((x: number) => x, 5);
    // @ts-expect-error fn's item type must match the input
    executor.map((x: number) => x, ['a']);
    // @ts-expect-error bufferSize is a number
    executor.mapIter((x: number) => x, [1], { bufferSize: 'foo' });
  });
});

describe('asCompleted and wait', () => {
  it('asCompleted yields the futures it was given', async () => {
    expectTypeOf(asCompleted([numbers])).toEqualTypeOf<AsyncIterableIterator<AsyncFuture<number>>>();
    expectTypeOf(executor.asCompleted([numbers, strings])).toEqualTypeOf<
      AsyncIterableIterator<AsyncFuture<number> | AsyncFuture<string>>
    >();
    const r = await asCompleted([numbers], { timeout: 10 }).next();
    if (!r.done) expectTypeOf(r.value).toEqualTypeOf<AsyncFuture<number>>();
    // Beware: TypeScript types a `for await` variable as the awaited value, and a future is a
    // thenable, so here `f` is typed `number` although the iterator yields the future itself.
    for await (const f of asCompleted([numbers])) expectTypeOf(f).toEqualTypeOf<number>();
  });

  it('wait returns sets of the futures it was given', async () => {
    expectTypeOf(wait([numbers])).toEqualTypeOf<Promise<WaitResult<AsyncFuture<number>>>>();
    const { done, pending } = await executor.wait([numbers, strings], { returnWhen: 'FIRST_COMPLETED', timeout: 5 });
    expectTypeOf(done).toEqualTypeOf<Set<AsyncFuture<number> | AsyncFuture<string>>>();
    expectTypeOf(pending).toEqualTypeOf<Set<AsyncFuture<number> | AsyncFuture<string>>>();
    // @ts-expect-error an unknown strategy
    void wait([numbers], { returnWhen: 'SOMETIMES' });
    // @ts-expect-error promises are not futures
    void wait([Promise.resolve(1)]);
  });
});

describe('observation', () => {
  it('getSnapshot returns a readonly ExecutorSnapshot', () => {
    const snapshot = executor.getSnapshot();
    expectTypeOf(snapshot).toEqualTypeOf<ExecutorSnapshot>();
    // @ts-expect-error the snapshot is readonly
    snapshot.running = 1;
    expectTypeOf(executor.subscribe(() => {})).toEqualTypeOf<() => void>();
  });
});

describe('fetchTask', () => {
  interface User {
    name: string;
  }
  it('types the result by parse, also with an explicit result type', () => {
    expectTypeOf(fetchTask<User>('/u')).returns.toEqualTypeOf<Promise<User>>();
    expectTypeOf(fetchTask('/u', undefined, { parse: 'text' })).returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf(fetchTask<User>('/u', undefined, { parse: 'response' })).returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf(executor.submit(fetchTask<User>('/u'))).toEqualTypeOf<AsyncFuture<User>>();
  });

  it('does not take the task context as its init (map(fetchTask, urls))', () => {
    // @ts-expect-error fetchTask returns the task function; it is not one
    executor.map(fetchTask, ['/a']);
    executor.map((url: string, ctx) => fetchTask<User>(url)(ctx), ['/a']);
  });
});

describe('helpers', () => {
  it('returnExceptions: true adds Error to the results; without it, only results', () => {
    expectTypeOf(parallelMap(async (x: number) => String(x), [1], { maxConcurrent: 2 })).toEqualTypeOf<
      Promise<string[]>
    >();
    expectTypeOf(
      parallelMap(async (x: number) => String(x), [1], { maxConcurrent: 2, returnExceptions: true }),
    ).toEqualTypeOf<Promise<(string | Error)[]>>();
    expectTypeOf(gatherWithConcurrency(2, [() => Promise.resolve(1)])).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(gatherWithConcurrency(2, [() => 1], { returnExceptions: false })).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(gatherWithConcurrency(2, [() => 1], { returnExceptions: true })).toEqualTypeOf<
      Promise<(number | Error)[]>
    >();
    expectTypeOf(batchProcess([1], async (x: number) => String(x), { batchSize: 2 })).toEqualTypeOf<
      Promise<string[]>
    >();
    batchProcess([1], async (x: number) => String(x), {
      returnExceptions: true,
      onBatchComplete: (results) => {
        expectTypeOf(results).toEqualTypeOf<(string | Error)[]>();
      },
    });
    batchProcess([1], async (x: number) => String(x), {
      onBatchComplete: (results) => {
        expectTypeOf(results).toEqualTypeOf<string[]>();
      },
    });
  });

  it('gatherWithConcurrency types two thunks or more at known places as a tuple, like Promise.all', () => {
    interface User {
      name: string;
    }
    const fetchUser = async (): Promise<User> => ({ name: 'a' });
    const fetchCount = (): Promise<number> => Promise.resolve(1);
    const flag = Math.random() > 0.5;
    // Async and sync thunks, two and three of them.
    expectTypeOf(gatherWithConcurrency(2, [() => fetchUser(), () => fetchCount()])).toEqualTypeOf<
      Promise<[User, number]>
    >();
    expectTypeOf(gatherWithConcurrency(2, [() => 1, () => 'two', async () => true])).toEqualTypeOf<
      Promise<[number, string, boolean]>
    >();
    expectTypeOf(gatherWithConcurrency(2, [fetchUser, () => [1, 2], () => undefined])).toEqualTypeOf<
      Promise<[User, number[], undefined]>
    >();
    // returnExceptions: true, or not known to be false, puts Error at every place; false or undefined does not.
    expectTypeOf(gatherWithConcurrency(2, [fetchUser, fetchCount], { returnExceptions: true })).toEqualTypeOf<
      Promise<[User | Error, number | Error]>
    >();
    expectTypeOf(
      gatherWithConcurrency(2, [fetchUser, fetchCount, () => 'x'], { returnExceptions: flag }),
    ).toEqualTypeOf<Promise<[User | Error, number | Error, string | Error]>>();
    expectTypeOf(gatherWithConcurrency(2, [fetchUser, fetchCount], { returnExceptions: false })).toEqualTypeOf<
      Promise<[User, number]>
    >();
    expectTypeOf(gatherWithConcurrency(2, [fetchUser, fetchCount], { returnExceptions: undefined })).toEqualTypeOf<
      Promise<[User, number]>
    >();
    const forward = (options?: { returnExceptions?: boolean }) =>
      gatherWithConcurrency(2, [fetchUser, () => 1], options);
    expectTypeOf(forward).returns.toEqualTypeOf<Promise<[User | Error, number | Error]>>();
    // A readonly tuple (as const) gives a mutable tuple of results.
    const pair = [fetchUser, () => 'x'] as const;
    expectTypeOf(gatherWithConcurrency(2, pair)).toEqualTypeOf<Promise<[User, string]>>();
    expectTypeOf(gatherWithConcurrency(2, pair, { returnExceptions: true })).toEqualTypeOf<
      Promise<[User | Error, string | Error]>
    >();
    // An array of unknown length, or any other iterable, gives an array; so does a single thunk.
    const many: Array<() => Promise<number>> = [fetchCount, fetchCount];
    expectTypeOf(gatherWithConcurrency(2, many)).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(gatherWithConcurrency(2, many, { returnExceptions: true })).toEqualTypeOf<
      Promise<(number | Error)[]>
    >();
    const readonlyMany: readonly (() => number)[] = [() => 1];
    expectTypeOf(gatherWithConcurrency(2, readonlyMany)).toEqualTypeOf<Promise<number[]>>();
    // Built in the call, a thunk's literal result is widened as before ('a' gives string).
    expectTypeOf(gatherWithConcurrency(2, new Set([() => 'a']))).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(
      gatherWithConcurrency(
        2,
        [1, 2].map(() => () => 'x'),
      ),
    ).toEqualTypeOf<Promise<string[]>>();
    expectTypeOf(gatherWithConcurrency(2, [fetchUser])).toEqualTypeOf<Promise<User[]>>();
    // Mixed thunks in an array of unknown length: an array of either result.
    const mixed = [fetchUser, fetchCount];
    expectTypeOf(gatherWithConcurrency(2, mixed)).toEqualTypeOf<Promise<(User | number)[]>>();
    // An explicit result type still asks for an array.
    expectTypeOf(gatherWithConcurrency<User | number>(2, [fetchUser, fetchCount])).toEqualTypeOf<
      Promise<(User | number)[]>
    >();
    // @ts-expect-error every element must be a thunk
    void gatherWithConcurrency(2, [fetchUser, 5]);
  });

  it('the rate limiter options type goes by both names', () => {
    expectTypeOf<RateLimiterOptions>().toEqualTypeOf<RateLimitOptions>();
  });
});

describe('exported names', () => {
  it('the parameter and result types of exported functions and classes have exported names', () => {
    expectTypeOf(retryDelayFor).parameter(0).toEqualTypeOf<RetryPolicy>();
    expectTypeOf<MapRunResult<number, { returnExceptions: true }>>().toEqualTypeOf<number | Error>();
  });
});

describe('defaultRetryIf', () => {
  it('is a RetryIf, and a custom retryIf can call it with both arguments', () => {
    expectTypeOf(defaultRetryIf).toMatchTypeOf<RetryIf>();
    const custom: RetryIf = (error, attempt) => defaultRetryIf(error, attempt) && !(error instanceof SyntaxError);
    expectTypeOf(custom).toEqualTypeOf<RetryIf>();
  });
});
