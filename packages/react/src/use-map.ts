'use client';

import type { MapRunProgress, MapRunStatus } from '@fanout/core';
import { type UseMapFn, type UseMapOptions, useMapRun } from './use-map-run.js';

/** What {@link useMap} returns. */
export interface UseMapResult<R> {
  /** `'idle'` until started (and on the server), then `'running'`, `'success'`, `'error'` or `'cancelled'`. */
  status: MapRunStatus;
  /**
   * In input order: `results[i]` appears as soon as item `i` succeeds (holes until then; the array
   * reaches as far as the highest item finished). With `returnExceptions`, a failed item's error is here too, as
   * core's `map` puts it (and in `errors[i]`).
   */
  results: readonly (R | undefined)[];
  /** `errors[i]`: item `i`'s failure (after its retries) or cancellation. */
  errors: readonly unknown[];
  /** Item counts by state, computed by core. */
  progress: MapRunProgress;
  /** `attempts[i]`: attempts started for item `i` (visible while it retries). */
  attempts: readonly number[];
  /** What ended the run: the first failure (`'error'`) or the cancellation (`'cancelled'`). */
  error: unknown;
  /** Cancel the run: every in-flight item's signal aborts. */
  cancel: () => void;
  /** Run again from scratch (cancels the current run if it is still going). */
  restart: () => void;
}

/**
 * Map `fn` over `items` on an executor and watch it live. The run starts on
 * mount and restarts when `items` changes (element by element, like a
 * dependency array, or by `options.key`); a new `fn` closure each render is
 * no change (the latest one is called). Changing `items` or unmounting
 * cancels the run in flight. Re-renders at most once per animation frame.
 *
 * @example
 * const { status, results, progress } = useMap(
 *   (id: number, { signal }) => fetch(`/api/users/${id}`, { signal }).then((r) => r.json() as Promise<User>),
 *   ids,
 *   { maxConcurrency: 4, retries: 2 },
 * );
 */
export function useMap<I, R>(
  fn: UseMapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options: UseMapOptions & { returnExceptions: true },
): UseMapResult<Awaited<R> | Error>;
export function useMap<I, R>(
  fn: UseMapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options?: UseMapOptions & { returnExceptions?: false | undefined },
): UseMapResult<Awaited<R>>;
/** `returnExceptions` not known to be `false` (a `boolean`, an options variable): errors may be among the results. */
export function useMap<I, R>(
  fn: UseMapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options?: UseMapOptions,
): UseMapResult<Awaited<R> | Error>;
export function useMap<I, R>(
  fn: UseMapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options: UseMapOptions = {},
): UseMapResult<Awaited<R> | Error> {
  const { snapshot, cancel, restart } = useMapRun(fn, items, options);
  const { status, results, errors, progress, attempts, error } = snapshot;
  return { status, results, errors, progress, attempts, error, cancel, restart };
}
