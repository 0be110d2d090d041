import type { FutureOwner } from './future.js';
import { type RateLimiter, type RateLimitOptions, toRateLimiter } from './rate-limiter.js';
import { defaultRetryIf, type Jitter, type RetryIf, type RetryPolicy } from './retry.js';
import { Semaphore } from './semaphore.js';
import type { Group } from './task.js';
import { checkFunction, checkInt, checkNumber, checkOneOf, checkOptions, checkSignal, describe } from './validate.js';

/** Options of one task: `submit(fn, options)`, and every item of a `map`. */
export interface TaskOptions {
  /** Extra attempts after a failure: `retries: 3` means up to 4 attempts. @default 0 */
  retries?: number | undefined;
  /** First wait before a retry, in ms; multiplied by `backoff` after each attempt. @default 100 */
  retryDelay?: number | undefined;
  /** Factor applied to the delay after each attempt. @default 2 */
  backoff?: number | undefined;
  /** Upper bound of the backoff wait, in ms, or `Infinity` for none (a longer `Retry-After` is still waited for in full). @default 30000 */
  maxRetryDelay?: number | undefined;
  /** Randomisation of the retry wait. @default 'full' */
  jitter?: Jitter | undefined;
  /** Which failures are retried. @default every error but CancelledError, a whole call's TimeoutError and HTTP 4xx other than 408/429 */
  retryIf?: RetryIf | undefined;
  /** Limit of one attempt, in ms; on expiry the attempt's signal aborts with `TimeoutError` and the attempt fails (retryable). @default none */
  timeout?: number | undefined;
  /** A semaphore the task holds one permit of while it runs. */
  semaphore?: Semaphore | undefined;
  /** A rate limiter (or its options) every attempt of this task must also pass. */
  rateLimit?: RateLimiter | RateLimitOptions | undefined;
  /** Higher starts first; equal priorities start in submit order. @default 0 */
  priority?: number | undefined;
  /** Aborting it cancels this task. */
  signal?: AbortSignal | undefined;
  /** A label for snapshots, events, errors and the demo. */
  name?: string | undefined;
}

/** Options of `new AsyncExecutor(options)`. */
export interface ExecutorOptions
  extends Pick<TaskOptions, 'retries' | 'retryDelay' | 'backoff' | 'maxRetryDelay' | 'jitter' | 'retryIf' | 'timeout'> {
  /** Tasks running at once: an integer ≥ 1, or `Infinity`. @default 10 */
  maxWorkers?: number | undefined;
  /** At most `limit` attempt starts per `interval` ms for the whole executor, or a shared `RateLimiter`. */
  rateLimit?: RateLimiter | RateLimitOptions | undefined;
  /** Aborting it cancels every task and shuts the executor down. */
  signal?: AbortSignal | undefined;
  /** Shown in snapshots, errors and the demo. */
  name?: string | undefined;
}

/** Progress reported by `onProgress` of a map. */
export interface MapProgress {
  /** Items finished (succeeded or failed). */
  done: number;
  /** Items failed (after their retries). */
  failed: number;
  /** Number of items, once known (arrays at once; other iterables when exhausted). */
  total: number | undefined;
}

/** Options of `map`, `mapIter` and `filter`: per-call settings plus every task option, applied to each item. */
export interface MapOptions extends TaskOptions {
  /** A concurrency limit for this call alone (below `maxWorkers`). @default maxWorkers */
  maxConcurrency?: number | undefined;
  /** mapIter: items pulled ahead of the consumer. @default 2 × min(maxConcurrency, maxWorkers) */
  bufferSize?: number | undefined;
  /** mapIter: `false` yields in completion order. @default true */
  ordered?: boolean | undefined;
  /** Put a failed item's error in the results instead of rejecting. @default false */
  returnExceptions?: boolean | undefined;
  /** Called after each item finishes. */
  onProgress?: ((progress: MapProgress) => void) | undefined;
}

/** The defaults of every option, in one place. */
export const DEFAULT_EXECUTOR_OPTIONS = {
  maxWorkers: 10,
  retries: 0,
  retryDelay: 100,
  backoff: 2,
  maxRetryDelay: 30_000,
  jitter: 'full',
  retryIf: defaultRetryIf,
  priority: 0,
} as const;

/** A task's options with defaults applied, shared by every task of a submit default or a map call (internal: not exported from the package). */
export interface ResolvedTaskOptions extends RetryPolicy {
  /** the executor the tasks belong to (their `cancel()` goes through it) */
  owner: FutureOwner | undefined;
  /** a map's `maxConcurrency`, shared by its items */
  group: Group | undefined;
  /** what a map's first item is counted as in messages (`(item 12)`): `batchProcess` counts on across its batches */
  first: number;
  timeout: number | undefined;
  semaphore: Semaphore | undefined;
  rateLimit: RateLimiter | undefined;
  priority: number;
  signal: AbortSignal | undefined;
  name: string | undefined;
}

/** @internal */
export const RETRY_KEYS = [
  'retries',
  'retryDelay',
  'backoff',
  'maxRetryDelay',
  'jitter',
  'retryIf',
  'timeout',
] as const;
/** @internal */
export const TASK_KEYS = [...RETRY_KEYS, 'semaphore', 'rateLimit', 'priority', 'signal', 'name'] as const;
const EXECUTOR_KEYS = new Set<string>([...RETRY_KEYS, 'maxWorkers', 'rateLimit', 'signal', 'name']);
const TASK_KEY_SET = new Set<string>(TASK_KEYS);
const MAP_KEY_SET = new Set<string>([
  ...TASK_KEYS,
  'maxConcurrency',
  'bufferSize',
  'ordered',
  'returnExceptions',
  'onProgress',
]);
const JITTERS: readonly Jitter[] = ['full', 'equal', 'none'];

/** Validate the options an executor accepts; returns the task defaults they define. @internal */
export function resolveExecutorOptions(options: ExecutorOptions): {
  maxWorkers: number;
  rateLimit: RateLimiter | undefined;
  defaults: ResolvedTaskOptions;
} {
  checkOptions('options', options, EXECUTOR_KEYS);
  const maxWorkers =
    options.maxWorkers === undefined
      ? DEFAULT_EXECUTOR_OPTIONS.maxWorkers
      : checkInt('maxWorkers', options.maxWorkers, 1, true);
  const rateLimit = options.rateLimit === undefined ? undefined : toRateLimiter(options.rateLimit, 'rateLimit');
  if (options.signal !== undefined) checkSignal('signal', options.signal);
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError(`name must be a string, got ${describe(options.name)}`);
  }
  const base: ResolvedTaskOptions = {
    owner: undefined,
    group: undefined,
    first: 0,
    retries: DEFAULT_EXECUTOR_OPTIONS.retries,
    retryDelay: DEFAULT_EXECUTOR_OPTIONS.retryDelay,
    backoff: DEFAULT_EXECUTOR_OPTIONS.backoff,
    maxRetryDelay: DEFAULT_EXECUTOR_OPTIONS.maxRetryDelay,
    jitter: DEFAULT_EXECUTOR_OPTIONS.jitter,
    retryIf: DEFAULT_EXECUTOR_OPTIONS.retryIf,
    timeout: undefined,
    semaphore: undefined,
    rateLimit: undefined,
    priority: DEFAULT_EXECUTOR_OPTIONS.priority,
    signal: undefined,
    name: undefined,
  };
  return { maxWorkers, rateLimit, defaults: applyRetryOptions(base, options) };
}

/** Validate per-task options over `defaults`. @internal */
export function resolveTaskOptions(
  options: TaskOptions,
  defaults: ResolvedTaskOptions,
  forMap = false,
): ResolvedTaskOptions {
  checkOptions('options', options, forMap ? MAP_KEY_SET : TASK_KEY_SET);
  const out = applyRetryOptions({ ...defaults }, options);
  if (options.semaphore !== undefined) {
    if (!(options.semaphore instanceof Semaphore)) {
      throw new TypeError(`semaphore must be a Semaphore, got ${describe(options.semaphore)}`);
    }
    out.semaphore = options.semaphore;
  }
  if (options.rateLimit !== undefined) out.rateLimit = toRateLimiter(options.rateLimit, 'rateLimit');
  if (options.priority !== undefined) out.priority = checkNumber('priority', options.priority, -Infinity);
  if (options.signal !== undefined) {
    checkSignal('signal', options.signal);
    // A map's signal is watched once by the map itself, not by each item.
    if (!forMap) out.signal = options.signal;
  }
  if (options.name !== undefined) {
    if (typeof options.name !== 'string') throw new TypeError(`name must be a string, got ${describe(options.name)}`);
    out.name = options.name;
  }
  return out;
}

function applyRetryOptions(out: ResolvedTaskOptions, o: TaskOptions): ResolvedTaskOptions {
  if (o.retries !== undefined) out.retries = checkInt('retries', o.retries, 0, true);
  if (o.retryDelay !== undefined) out.retryDelay = checkNumber('retryDelay', o.retryDelay, 0);
  if (o.backoff !== undefined) out.backoff = checkNumber('backoff', o.backoff, 1);
  if (o.maxRetryDelay !== undefined) out.maxRetryDelay = checkNumber('maxRetryDelay', o.maxRetryDelay, 0, false, true);
  if (o.jitter !== undefined) out.jitter = checkOneOf('jitter', o.jitter, JITTERS);
  if (o.retryIf !== undefined) {
    checkFunction('retryIf', o.retryIf);
    out.retryIf = o.retryIf;
  }
  if (o.timeout !== undefined) {
    // Infinity is "no timeout", the same as leaving it out.
    const timeout = checkNumber('timeout', o.timeout, 0, true, true);
    out.timeout = timeout === Number.POSITIVE_INFINITY ? undefined : timeout;
  }
  return out;
}
