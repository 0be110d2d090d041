'use client';

import { AsyncExecutor, type ExecutorOptions } from '@fanout/core';
import { useContext, useEffect, useRef } from 'react';
import { ExecutorContext } from './context.js';
import { release, retain } from './deferred-release.js';

/**
 * The executor a hook runs on: a given one, else (when no options are given)
 * the provider's, else one owned by the component — built on first render
 * (a lazy ref, not a `useState` initializer, which StrictMode calls twice),
 * resized when `maxWorkers` changes, shut down with `cancelFutures` on unmount
 * (deferred, so StrictMode's remount keeps it). A given executor is never shut down.
 * @internal
 */
export function useResolvedExecutor(source: AsyncExecutor | ExecutorOptions | undefined): AsyncExecutor {
  const context = useContext(ExecutorContext);
  const given = source instanceof AsyncExecutor ? source : source === undefined ? context : undefined;
  const options = source instanceof AsyncExecutor ? undefined : source;
  const owned = useRef<AsyncExecutor | undefined>(undefined);
  if (given === undefined) owned.current ??= new AsyncExecutor(options);
  const executor = given ?? (owned.current as AsyncExecutor);
  const isOwned = given === undefined;
  useEffect(() => {
    if (!isOwned) return;
    retain(executor);
    return () =>
      release(executor, () => {
        if (owned.current === executor) owned.current = undefined;
        void executor.shutdown({ cancelFutures: true, wait: false });
      });
  }, [executor, isOwned]);
  const maxWorkers = isOwned ? options?.maxWorkers : undefined;
  useEffect(() => {
    if (maxWorkers !== undefined && executor.getSnapshot().maxWorkers !== maxWorkers) executor.resize(maxWorkers);
  }, [executor, maxWorkers]);
  return executor;
}
