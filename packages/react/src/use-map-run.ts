'use client';

import {
  type AsyncExecutor,
  checkBoolean,
  checkFunction,
  checkObject,
  type ExecutorOptions,
  type MapOptions,
  MapRun,
  type MapRunSnapshot,
  type TaskContext,
} from '@fanout/core';
import { useCallback, useEffect, useInsertionEffect, useRef, useState } from 'react';
import { release, retain } from './deferred-release.js';
import { alike, sameKey } from './same-key.js';
import { useResolvedExecutor } from './use-resolved-executor.js';
import { useStore } from './use-store.js';

/** Options of `useMap` and `useAsCompleted`: every option of core's `map`, plus these. */
export interface UseMapOptions extends MapOptions {
  /** Identity of the input: the run restarts when it changes in value, like a TanStack Query key (`['user', { id }]` written inline is no change). @default items, compared element by element */
  key?: unknown | undefined;
  /** The executor to run on, or options for one owned by the component. @default the ExecutorProvider's, else an owned `new AsyncExecutor()` */
  executor?: AsyncExecutor | ExecutorOptions | undefined;
  /** `false` keeps the run idle (and cancels one in flight). @default true */
  enabled?: boolean | undefined;
}

/** The task function of the hooks: `fn(item, ctx)`, sync or async. */
export type UseMapFn<I, R> = (item: I, ctx: TaskContext) => R;

interface Entry<I, R> {
  readonly run: MapRun<I, R, MapOptions>;
  readonly idle: MapRunSnapshot<I, R, R | Error>;
  readonly executor: AsyncExecutor;
  readonly identity: unknown;
  readonly generation: number;
  readonly enabled: boolean;
}

/**
 * The run behind `useMap` and `useAsCompleted`: one core `MapRun` per
 * (executor, items or key, restart, enabled). A render whose inputs differ
 * from the committed run's builds a new run (construction has no side
 * effects, so a render React throws away costs nothing); the commit records
 * it, an effect starts it, and the effect's cleanup cancels the old one
 * (deferred, for StrictMode). No state is set while rendering.
 * @internal
 */
export function useMapRun<I, R>(fn: UseMapFn<I, R>, items: Iterable<I> | AsyncIterable<I>, options: UseMapOptions) {
  checkFunction('fn', fn);
  checkObject('options', options);
  const { key, executor: source, enabled = true, ...mapOptions } = options;
  checkBoolean('enabled', enabled);
  const executor = useResolvedExecutor(source);
  const latest = useRef(fn);
  const committed = useRef<Entry<I, Awaited<R>> | undefined>(undefined);
  /** the inputs of the last render that built a run (StrictMode renders twice: its second render is no new restart) */
  const pending = useRef<Entry<I, Awaited<R>> | undefined>(undefined);
  const restarts = useRef<Restarts>({ count: 0, counting: false });
  const [generation, setGeneration] = useState(0);
  const identity = key === undefined ? items : key;
  // `key` is compared by value, as TanStack Query compares its keys; `items` like a dependency array.
  const equal = key === undefined ? sameKey : alike;
  const create = (): Entry<I, Awaited<R>> => {
    // The run calls the latest `fn` through the ref: a new closure each render is no change.
    const call = (item: I, ctx: TaskContext) => latest.current(item, ctx) as Awaited<R> | PromiseLike<Awaited<R>>;
    const run = new MapRun(executor, call, items, mapOptions, committed.current?.run);
    return { run, idle: run.getSnapshot(), executor, identity, generation, enabled };
  };
  /** The same run's inputs, with `identity` compared by `equal`. */
  const sameRun = (entry: Entry<I, Awaited<R>> | undefined, equal: (a: unknown, b: unknown) => boolean) =>
    entry !== undefined &&
    entry.executor === executor &&
    entry.generation === generation &&
    entry.enabled === enabled &&
    equal(entry.identity, identity);
  const prev = committed.current;
  let current: Entry<I, Awaited<R>>;
  if (prev !== undefined && sameRun(prev, equal)) current = prev;
  else {
    // Only a restart for inputs equal in value can be the render loop of an unmemoized input; a render
    // repeating the last one's inputs (StrictMode) is no new restart.
    // (A key is compared with `alike` already: a restart for one is a change of value.)
    if (equal === sameKey && !sameRun(pending.current, equal) && sameRun(prev, alike)) guardRestarts(restarts.current);
    current = create();
    pending.current = current;
  }
  useInsertionEffect(() => {
    latest.current = fn;
    committed.current = current;
  });
  const { run, idle } = current;
  useEffect(() => {
    if (!current.enabled) return;
    // Shown again after a hidden <Activity> cancelled it: a fresh run, as a remount would start.
    if (dropped.has(run)) return setGeneration((g) => g + 1);
    retain(run);
    void run.start();
    return () =>
      release(run, () => {
        dropped.add(run);
        run.cancel();
      });
  }, [current, run]);
  const snapshot = useStore(
    run.subscribe,
    run.getSnapshot,
    useCallback(() => idle, [idle]),
  );
  const cancel = useCallback(() => run.cancel(), [run]);
  const restart = useCallback(() => setGeneration((g) => g + 1), []);
  return { snapshot, cancel, restart };
}

/** Runs their component's effects let go of (unmounted, or hidden in an <Activity>). */
const dropped = new WeakSet<object>();

interface Restarts {
  count: number;
  counting: boolean;
}

/**
 * Restarts within one synchronous stretch for inputs equal in value (new objects with the same fields)
 * before it counts as a loop; StrictMode's second render of the same inputs does not count, nor does
 * any change of value however many there are.
 */
const MAX_RESTARTS = 10;

/**
 * Inputs that differ on every render (an inline array of new objects, a `new Map()`) restart the run on
 * every commit, and starting a run re-renders at once, so React would loop until "Maximum update
 * depth exceeded" after starting a few runs for nothing. Say what is wrong instead, sooner.
 */
function guardRestarts(restarts: Restarts): void {
  restarts.count++;
  if (!restarts.counting) {
    restarts.counting = true;
    queueMicrotask(() => {
      restarts.count = 0;
      restarts.counting = false;
    });
  }
  if (restarts.count > MAX_RESTARTS) {
    throw new Error(
      'useMap/useAsCompleted: `items` changed on every render (new objects each time), restarting ' +
        'the run each time. Memoize the input (useMemo) or pass options.key.',
    );
  }
}
