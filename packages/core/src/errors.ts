/** The task, wait or call was cancelled (by `cancel()`, a signal, or `shutdown({ cancelFutures: true })`). */
export class CancelledError extends Error {
  override name = 'CancelledError' as const;
  constructor(message = 'cancelled', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A deadline passed: a task attempt's `timeout`, `result({ timeout })`, `wait`/`asCompleted` timeouts, `withTimeout`. */
export class TimeoutError extends Error {
  override name = 'TimeoutError' as const;
  /** True for one attempt's `timeout` (retried by default); false for the deadline of a whole call. */
  readonly retryable: boolean;
  constructor(message = 'timed out', options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options?.retryable ?? false;
  }
}

/** `submit` (or `map`, …) was called after `shutdown()`. */
export class ExecutorShutdownError extends Error {
  override name = 'ExecutorShutdownError' as const;
  constructor(message = 'cannot schedule new tasks after shutdown') {
    super(message);
  }
}

/** An operation does not fit the future's current state (e.g. `exception()` while pending). */
export class InvalidStateError extends Error {
  override name = 'InvalidStateError' as const;
}

/** Fields of an {@link HttpError}. */
export interface HttpErrorInit {
  status: number;
  statusText: string;
  url: string;
  /** Milliseconds the server asked to wait (`Retry-After`), if it said. */
  retryAfterMs?: number | undefined;
  /** The response body, when it could be read. */
  body?: unknown;
}

/** A non-2xx HTTP response, thrown by `fetchTask`. */
export class HttpError extends Error {
  override name = 'HttpError' as const;
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly retryAfterMs: number | undefined;
  readonly body: unknown;
  constructor(init: HttpErrorInit) {
    super(`HTTP ${init.status}${init.statusText ? ` ${init.statusText}` : ''} from ${init.url}`);
    this.status = init.status;
    this.statusText = init.statusText;
    this.url = init.url;
    this.retryAfterMs = init.retryAfterMs;
    this.body = init.body;
  }
}
