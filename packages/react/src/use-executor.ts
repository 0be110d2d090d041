'use client';

import {
  type AsyncExecutor,
  type AsyncFuture,
  checkFunction,
  checkObject,
  type ExecutorOptions,
  type ExecutorSnapshot,
  type TaskFn,
  type TaskOptions,
} from '@fanout/core';
import { useCallback } from 'react';
import { useResolvedExecutor } from './use-resolved-executor.js';
import { type Equality, useStore } from './use-store.js';

/** Options of {@link useExecutor}: subscribe to a slice of the snapshot. */
export interface UseExecutorOptions<T> {
  /** Picks the part of the snapshot the component renders (e.g. one worker's lane). */
  select: (snapshot: ExecutorSnapshot) => T;
  /** Re-render only when the selection changes by this test. @default Object.is */
  isEqual?: Equality<T> | undefined;
}

/** What {@link useExecutor} returns. */
export interface UseExecutorResult<T = ExecutorSnapshot> {
  /** The executor: the same object while the component is mounted (an owned one is replaced after a hidden `<Activity>` shut it down). */
  executor: AsyncExecutor;
  /** The live snapshot (or its selected slice), updated at most once per frame. */
  snapshot: T;
  /** `executor.submit`, stable. */
  submit: <R>(fn: TaskFn<R>, options?: TaskOptions) => AsyncFuture<Awaited<R>>;
  /** `executor.cancelAll`, stable: cancels every unsettled task, the executor stays open. */
  cancelAll: (reason?: unknown) => void;
}

/**
 * An executor owned by the component (from options: built once, shut down
 * with `cancelFutures` on unmount, so every task's signal aborts), or a given
 * one (never shut down by the hook), and its live snapshot. With no argument
 * it uses the `ExecutorProvider`'s executor if there is one.
 *
 * @example
 * const { snapshot, submit } = useExecutor({ maxWorkers: 4 });
 * return <button onClick={() => submit(({ signal }) => fetch('/api/ping', { signal }))}>{snapshot.running} running</button>;
 */
export function useExecutor(source?: AsyncExecutor | ExecutorOptions): UseExecutorResult;
export function useExecutor<T>(
  source: AsyncExecutor | ExecutorOptions | undefined,
  options: UseExecutorOptions<T>,
): UseExecutorResult<T>;
export function useExecutor<T>(
  source?: AsyncExecutor | ExecutorOptions,
  options?: UseExecutorOptions<T>,
): UseExecutorResult<T | ExecutorSnapshot> {
  if (options !== undefined) {
    checkObject('options', options);
    if (options.select !== undefined) checkFunction('options.select', options.select);
    if (options.isEqual !== undefined) checkFunction('options.isEqual', options.isEqual);
  }
  const executor = useResolvedExecutor(source);
  const snapshot = useStore<ExecutorSnapshot, T | ExecutorSnapshot>(
    executor.subscribe,
    executor.getSnapshot,
    executor.getServerSnapshot,
    options?.select,
    options?.isEqual as Equality<T | ExecutorSnapshot> | undefined,
  );
  const submit = useCallback(<R>(fn: TaskFn<R>, opts?: TaskOptions) => executor.submit(fn, opts), [executor]);
  const cancelAll = useCallback((reason?: unknown) => executor.cancelAll(reason), [executor]);
  return { executor, snapshot, submit, cancelAll };
}
