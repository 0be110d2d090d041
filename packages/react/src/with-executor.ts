'use client';

import { type AsyncExecutor, checkFunction, describeValue, type TaskContext, type TaskOptions } from '@fanout/core';

/**
 * What `withExecutor` needs of TanStack Query's `QueryFunctionContext`, written out here so that these
 * types (like the code) need no Query installed: Query's context is one, and a query function takes
 * the very context type Query gives it (`queryKey`, `meta`, `pageParam` typed).
 */
export interface QueryContextLike {
  readonly signal: AbortSignal;
}

/**
 * A TanStack Query `queryFn` that runs through `executor`, so `useQueries`
 * over 500 keys obeys the pool's `maxWorkers` and rate limit. Query's
 * `signal` is passed as the task's signal: when Query cancels
 * (`cancelQueries`, unmount) the task is cancelled, its signal aborts and its
 * slot frees once `queryFn` settles. `queryFn` gets Query's context (with
 * `signal` replaced by the task's, which also aborts on the task's
 * `timeout` and on shutdown) and the task's context.
 *
 * @example
 * useQueries({
 *   queries: ids.map((id) => ({
 *     queryKey: ['user', id],
 *     queryFn: withExecutor(executor, ({ signal }) => fetch(`/api/users/${id}`, { signal }).then((r) => r.json())),
 *   })),
 * });
 */
export function withExecutor<T, C extends QueryContextLike = QueryContextLike>(
  executor: AsyncExecutor,
  queryFn: (context: C, task: TaskContext) => T | PromiseLike<T>,
  options?: Omit<TaskOptions, 'signal'>,
): (context: C) => Promise<T> {
  if (typeof (executor as Partial<AsyncExecutor> | null)?.submit !== 'function') {
    throw new TypeError(`executor must be an AsyncExecutor, got ${describeValue(executor)}`);
  }
  checkFunction('queryFn', queryFn);
  executor.checkTaskOptions(options); // now, not at the first fetch
  return (context) => {
    const future = executor.submit((task) => queryFn({ ...context, signal: task.signal }, task), {
      ...options,
      signal: context.signal,
    });
    return future.result() as Promise<T>;
  };
}
