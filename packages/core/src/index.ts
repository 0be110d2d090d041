export {
  CancelledError,
  ExecutorShutdownError,
  HttpError,
  type HttpErrorInit,
  InvalidStateError,
  TimeoutError,
} from './errors.js';
export { AsyncExecutor, type ShutdownOptions } from './executor.js';
export { type FetchInit, type FetchParse, type FetchTaskOptions, fetchTask, parseRetryAfter } from './fetch.js';
export { AsyncFuture, type DoneCallback, type FutureState, isFuture, type ResultOptions } from './future.js';
export {
  type BatchProcessOptions,
  batchProcess,
  gatherWithConcurrency,
  type ParallelOptions,
  parallelFilter,
  parallelMap,
  type RetryOptions,
  retry,
} from './helpers.js';
export { batched, zip } from './iterables.js';
export {
  type CompletedItem,
  idleMapRunSnapshot,
  MapRun,
  type MapRunProgress,
  type MapRunResult,
  type MapRunSnapshot,
  type MapRunStatus,
} from './map-run.js';
export {
  DEFAULT_EXECUTOR_OPTIONS,
  type ExecutorOptions,
  type MapOptions,
  type MapProgress,
  type TaskOptions,
} from './options.js';
export { RateLimiter, type RateLimiterOptions, type RateLimitOptions } from './rate-limiter.js';
export { defaultRetryIf, type Jitter, type RetryIf, type RetryPolicy, retryDelayFor } from './retry.js';
export { Semaphore } from './semaphore.js';
export type { ExecutorSnapshot, TaskEvent, TaskEventType, WorkerState } from './snapshot.js';
export type { MapFn, TaskContext, TaskFn } from './task.js';
export { throttle } from './throttle.js';
export { type WithTimeoutOptions, withTimeout } from './timeout.js';
/** Argument checks with core's messages (`fn must be a function, got 5`), for adapters such as @fanout/react. */
export { checkBoolean, checkFunction, checkObject, checkSignal, describe as describeValue } from './validate.js';
export {
  type AsCompletedOptions,
  asCompleted,
  type WaitOptions,
  type WaitResult,
  WaitStrategy,
  wait,
} from './wait.js';
