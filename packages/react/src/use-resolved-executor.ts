'use client';

import { AsyncExecutor, checkSignal, type ExecutorOptions } from '@fanout/core';
import { useContext, useEffect, useReducer, useRef } from 'react';
import { ExecutorContext } from './context.js';
import { release, retain } from './deferred-release.js';

/**
 * The executor a hook runs on: a given one, else (when no options are given)
 * the provider's, else one owned by the component — built on first render
 * (a lazy ref, not a `useState` initializer, which StrictMode calls twice),
 * resized when `maxWorkers` changes, shut down with `cancelFutures` on unmount
 * (deferred, so StrictMode's remount keeps it). A given executor is never shut down.
 * An owned executor's `signal` is listened to from an effect, not by the
 * constructor: a render that never commits (on the server, or thrown away by
 * React) must leave no listener on it.
 * @internal
 */
export function useResolvedExecutor(source: AsyncExecutor | ExecutorOptions | undefined): AsyncExecutor {
  const context = useContext(ExecutorContext);
  const given = source instanceof AsyncExecutor ? source : source === undefined ? context : undefined;
  const options = source instanceof AsyncExecutor ? undefined : source;
  const owned = useRef<AsyncExecutor | undefined>(undefined);
  const signal = options?.signal; // only options for an owned executor are given
  if (given === undefined) {
    if (signal !== undefined) checkSignal('signal', signal);
    owned.current ??= new AsyncExecutor(signal === undefined ? options : withoutSignal(options as ExecutorOptions));
  }
  const executor = given ?? (owned.current as AsyncExecutor);
  const isOwned = given === undefined;
  const [, revive] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (!isOwned) return;
    // Shown again after a hidden <Activity> tore it down, before its successor was rendered: render it now.
    if (owned.current !== executor) return revive();
    retain(executor);
    const stop = () => void executor.shutdown({ cancelFutures: true, wait: false });
    // As the constructor would have: aborting the signal cancels every task and shuts the executor down.
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop);
    return () => {
      signal?.removeEventListener('abort', stop);
      release(executor, () => {
        if (owned.current === executor) owned.current = undefined;
        stop();
        revive(); // hidden in an <Activity>: render its successor now, so the effects of the showing commit get it
      });
    };
  }, [executor, isOwned, signal]);
  const maxWorkers = isOwned ? options?.maxWorkers : undefined;
  useEffect(() => {
    if (maxWorkers !== undefined && executor.getSnapshot().maxWorkers !== maxWorkers) executor.resize(maxWorkers);
  }, [executor, maxWorkers]);
  return executor;
}

function withoutSignal({ signal, ...rest }: ExecutorOptions): ExecutorOptions {
  return rest;
}
