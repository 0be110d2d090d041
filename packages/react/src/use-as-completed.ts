'use client';

import type { CompletedItem, MapRunProgress, MapRunStatus } from '@fanout/core';
import { type UseMapFn, type UseMapOptions, useMapRun } from './use-map-run.js';

/** What {@link useAsCompleted} returns. */
export interface UseAsCompletedResult<I, R> {
  /** Finished items in completion order: `{ index, item, value?, error?, at }`. */
  completed: readonly CompletedItem<I, R>[];
  /** As in `useMap`. */
  status: MapRunStatus;
  progress: MapRunProgress;
  error: unknown;
  cancel: () => void;
  restart: () => void;
}

/**
 * The same run as `useMap`, exposed in completion order: the fastest item
 * comes first whatever its position in `items`.
 *
 * @example
 * const { completed } = useAsCompleted((ms: number) => sleep(ms).then(() => ms), [300, 10, 120]);
 * // completed.map((c) => c.value) → [10, 120, 300] once all are done
 */
export function useAsCompleted<I, R>(
  fn: UseMapFn<I, R>,
  items: Iterable<I> | AsyncIterable<I>,
  options: UseMapOptions = {},
): UseAsCompletedResult<I, Awaited<R>> {
  const { snapshot, cancel, restart } = useMapRun(fn, items, options);
  const { completed, status, progress, error } = snapshot;
  return { completed, status, progress, error, cancel, restart };
}
