import type {
  AsyncExecutor,
  AsyncFuture,
  CompletedItem,
  ExecutorSnapshot,
  TaskContext,
  WorkerState,
} from '@fanout/core';
import { type QueryFunction, type QueryFunctionContext, useQueries, useQuery } from '@tanstack/react-query';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type NotifyFunction,
  setNotifyFunction,
  type UseMapOptions,
  type UseMapResult,
  useAsCompleted,
  useExecutor,
  useMap,
  withExecutor,
} from '../index.js';

declare const executor: AsyncExecutor;
interface User {
  id: number;
  name: string;
}
declare function fetchUser(id: number, signal: AbortSignal): Promise<User>;

describe('useMap types', () => {
  it('types results from the return type of fn (sync or async)', () => {
    const users = useMap((id: number, { signal }) => fetchUser(id, signal), [1, 2]);
    expectTypeOf(users.results).toEqualTypeOf<readonly (User | undefined)[]>();
    const lengths = useMap((s: string) => s.length, ['a', 'bb']);
    expectTypeOf(lengths.results).toEqualTypeOf<readonly (number | undefined)[]>();
    expectTypeOf(lengths.errors).toEqualTypeOf<readonly unknown[]>();
    expectTypeOf(lengths.attempts).toEqualTypeOf<readonly number[]>();
    expectTypeOf(lengths.status).toEqualTypeOf<'idle' | 'running' | 'success' | 'error' | 'cancelled'>();
    expectTypeOf(lengths.cancel).toEqualTypeOf<() => void>();
  });

  it('infers the item type from items and gives fn the task context', () => {
    useMap(
      async (id, ctx) => {
        expectTypeOf(id).toEqualTypeOf<number>();
        expectTypeOf(ctx).toEqualTypeOf<TaskContext>();
        return String(id);
      },
      new Set([1, 2]),
    );
  });

  it("accepts core's map options plus key, executor and enabled", () => {
    useMap((x: number) => x, [1], {
      maxConcurrency: 2,
      retries: 3,
      timeout: 1000,
      rateLimit: { limit: 5, interval: 1000 },
      signal: new AbortController().signal,
      returnExceptions: true,
      key: 'ids:1',
      executor: { maxWorkers: 4 },
      enabled: false,
    });
    useMap((x: number) => x, [1], { executor });
    // returnExceptions not known to be false (an options variable, a boolean): errors may be among the results
    const options: UseMapOptions = { retries: 2 };
    expectTypeOf(useMap((x: number) => x, [1], options).results).toEqualTypeOf<
      readonly (number | Error | undefined)[]
    >();
    expectTypeOf(useMap((x: number) => x, [1], { retries: 2 }).results).toEqualTypeOf<
      readonly (number | undefined)[]
    >();
    const forward = (opts?: UseMapOptions) => useMap((x: number) => x, [1], opts);
    expectTypeOf(forward).returns.toEqualTypeOf<UseMapResult<number | Error>>();
    // undefined means "not set", also under exactOptionalPropertyTypes
    const maybe: { key?: string | undefined; enabled?: boolean | undefined } = {};
    useMap((x: number) => x, [1], { key: maybe.key, enabled: maybe.enabled });
    // @ts-expect-error not an option
    useMap((x: number) => x, [1], { maxWorker: 2 });
    // @ts-expect-error items must match fn's parameter
    useMap((x: number) => x, ['a']);
  });
});

describe('useAsCompleted types', () => {
  it('types completed[i].value and .item', () => {
    const { completed } = useAsCompleted((id: number, { signal }) => fetchUser(id, signal), [1, 2]);
    expectTypeOf(completed).toEqualTypeOf<readonly CompletedItem<number, User>[]>();
    const first = completed[0];
    expectTypeOf(first).toEqualTypeOf<CompletedItem<number, User> | undefined>();
    expectTypeOf(first!.value).toEqualTypeOf<User | undefined>();
    expectTypeOf(first!.item).toEqualTypeOf<number>();
    expectTypeOf(first!.index).toEqualTypeOf<number>();
  });
});

describe('useExecutor types', () => {
  it('returns the snapshot, or the selected slice', () => {
    const all = useExecutor({ maxWorkers: 2 });
    expectTypeOf(all.snapshot).toEqualTypeOf<ExecutorSnapshot>();
    expectTypeOf(all.executor).toEqualTypeOf<AsyncExecutor>();
    expectTypeOf(all.submit(async () => 42)).toEqualTypeOf<AsyncFuture<number>>();
    const lane = useExecutor(executor, { select: (s) => s.workers[0], isEqual: (a, b) => a?.taskId === b?.taskId });
    expectTypeOf(lane.snapshot).toEqualTypeOf<WorkerState | undefined>();
    const running = useExecutor(undefined, { select: (s) => s.running });
    expectTypeOf(running.snapshot).toEqualTypeOf<number>();
  });
});

describe('withExecutor types', () => {
  it("keeps Query's types: the key in the context, the data of the query", () => {
    const query = useQuery({
      queryKey: ['user', 7] as const,
      queryFn: withExecutor(executor, ({ queryKey, signal }, task) => {
        expectTypeOf(queryKey).toEqualTypeOf<readonly ['user', 7]>();
        expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
        expectTypeOf(task).toEqualTypeOf<TaskContext>();
        return fetchUser(queryKey[1], signal);
      }),
    });
    expectTypeOf(query.data).toEqualTypeOf<User | undefined>();

    const many = useQueries({
      queries: [1, 2, 3].map((id) => ({
        queryKey: ['user', id],
        queryFn: withExecutor(executor, ({ signal }) => fetchUser(id, signal)),
      })),
    });
    expectTypeOf(many[0]!.data).toEqualTypeOf<User | undefined>();
  });

  it('returns a QueryFunction', () => {
    const fn = withExecutor(executor, (ctx: QueryFunctionContext<['n', number]>) => ctx.queryKey[1] * 2, {
      priority: 1,
    });
    expectTypeOf(fn).toExtend<QueryFunction<number, ['n', number]>>();
    expectTypeOf(fn).returns.toEqualTypeOf<Promise<number>>(); // always a promise: .then() works outside Query too
    // @ts-expect-error the signal comes from Query
    withExecutor(executor, () => 1, { signal: new AbortController().signal });
  });
});

describe('exported names', () => {
  it('every parameter type of an exported function has an exported name', () => {
    expectTypeOf(setNotifyFunction).parameter(0).toEqualTypeOf<NotifyFunction>();
  });
});
