import { CancelledError, HttpError, TimeoutError } from './errors.js';

/** How a retry delay is randomised: `'full'` uniform in 0..delay, `'equal'` delay/2 + uniform 0..delay/2, `'none'` exact. */
export type Jitter = 'full' | 'equal' | 'none';

/** Decides whether a failed attempt is retried. `attempt` is the attempt that just failed (1-based). */
export type RetryIf = (error: unknown, attempt: number) => boolean;

/** The retry settings every task carries (executor defaults, overridden per task or per map). */
export interface RetryPolicy {
  retries: number;
  retryDelay: number;
  backoff: number;
  maxRetryDelay: number;
  jitter: Jitter;
  retryIf: RetryIf;
}

/**
 * The default {@link RetryIf}: retry everything except a cancellation, the
 * `TimeoutError` of a whole call (an attempt's own `timeout` is retried), and
 * an HTTP 4xx other than 408 and 429, which a second try would only repeat.
 */
export function defaultRetryIf(error: unknown, _attempt?: number): boolean {
  if (error instanceof CancelledError) return false;
  if (error instanceof TimeoutError) return error.retryable;
  if (error instanceof HttpError) {
    const s = error.status;
    return !(s >= 400 && s < 500) || s === 408 || s === 429;
  }
  return true;
}

/** Milliseconds the error asks us to wait (`HttpError.retryAfterMs`, or any error carrying one). */
function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const ms = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/**
 * The wait before the attempt after `attempt` (1-based, the one that failed):
 * `retryDelay × backoff^(attempt-1)`, capped by `maxRetryDelay`, jittered,
 * and never shorter than the error's `retryAfterMs`, whatever `maxRetryDelay`
 * says: the server said when (a `retryIf` can refuse a wait too long).
 */
export function retryDelayFor(policy: RetryPolicy, attempt: number, error: unknown, random = Math.random): number {
  // retryDelay 0 stays 0 however many attempts (0 × backoff^n would be NaN once backoff^n overflows to Infinity)
  const grown = policy.retryDelay === 0 ? 0 : policy.retryDelay * policy.backoff ** (attempt - 1);
  const base = Math.min(grown, policy.maxRetryDelay);
  let delay = base;
  if (policy.jitter === 'full') delay = random() * base;
  else if (policy.jitter === 'equal') delay = base / 2 + (random() * base) / 2;
  const after = retryAfterOf(error);
  if (after !== undefined) delay = Math.max(delay, after);
  return Math.round(delay);
}
