'use client';

import type { AsyncExecutor, ExecutorSnapshot } from '@fanout/core';

const cache = new WeakMap<AsyncExecutor, ExecutorSnapshot>();

/**
 * The server snapshot of `executor`: its configuration (name, pool size,
 * paused, rate limit) with nothing queued, running or finished and every
 * worker idle — what a freshly built executor shows on both sides of
 * hydration. Computed once per executor so it is a stable object.
 */
export function idleExecutorSnapshot(executor: AsyncExecutor): ExecutorSnapshot {
  let idle = cache.get(executor);
  if (idle === undefined) {
    const live = executor.getSnapshot();
    idle = Object.freeze({
      ...live,
      queued: 0,
      running: 0,
      retrying: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      submitted: 0,
      workers: Object.freeze(
        live.workers.filter((w) => w.id < live.maxWorkers).map((w) => Object.freeze({ id: w.id })),
      ),
    });
    cache.set(executor, idle);
  }
  return idle;
}
