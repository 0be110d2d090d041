import { clearTimer, now, preciseNow, setTimer, type TimerHandle } from './time.js';
import { checkFunction, checkInt, checkNumber, checkOptions } from './validate.js';
import { type Waiter, WaiterList, waitForGrant } from './waiters.js';

export type { Waiter } from './waiters.js';

/** Options of a {@link RateLimiter}: at most `limit` starts per `interval` ms. */
export interface RateLimitOptions {
  /** Starts allowed per `interval`: an integer ≥ 1. */
  limit: number;
  /** The window length in milliseconds: a finite number > 0. */
  interval: number;
  /** Bucket capacity, the starts allowed at once after a quiet spell: an integer ≥ 1. @default limit */
  burst?: number | undefined;
}

/** The same type under the class's name. */
export type RateLimiterOptions = RateLimitOptions;

const KNOWN_KEYS: ReadonlySet<string> = new Set(['limit', 'interval', 'burst']);
const NOOP_WAITER: Waiter = { cancel() {} };
const WINDOW_GUARD = 0.1;
/** How early a timer can fire by the clock (Node: under 1 ms; a kernel's coarse clock: 2). */
const TIMER_SLACK = 2;

function readOptions(
  value: unknown,
  prefix: string,
  objectName: string,
): { limit: number; interval: number; burst: number } {
  checkOptions(objectName, value, KNOWN_KEYS);
  const options = value as Partial<Record<keyof RateLimitOptions, unknown>>;
  const limit = checkInt(`${prefix}limit`, options.limit, 1);
  const interval = checkNumber(`${prefix}interval`, options.interval, 0, true);
  const burst = options.burst === undefined ? limit : checkInt(`${prefix}burst`, options.burst, 1);
  return { limit, interval, burst };
}

/**
 * Admits at most `limit` starts per `interval` ms, queueing (never dropping)
 * the rest in FIFO order. Two rules must both allow a start:
 * - a token bucket of capacity `burst` that starts full and gains one token
 *   every `interval / limit` ms after construction (capped at `burst`), so by
 *   time t after creation at most `burst + ⌊t·limit/interval⌋` starts were
 *   admitted, and a `burst` below `limit` spreads the starts out at the same rate;
 * - a sliding-window log: at most `limit` admissions in any `interval` ms
 *   (starts, not arrivals: a request reaches its server a little later), which stops a
 *   2×`limit` burst around a refill. Hence a `burst` above `limit` adds nothing.
 *
 * At most one timer is armed, for the moment the first waiter can be served,
 * and it is cleared as soon as nobody waits, so an idle limiter never keeps a
 * process alive. It holds only counters and a queue: share one between
 * executors and direct callers.
 *
 * @example
 * const api = new RateLimiter({ limit: 10, interval: 1000 });
 * const user = await api.run(() => fetch('/api/user/7')); // ≤ 10 requests in any second
 */
export class RateLimiter {
  /** Starts allowed per `interval`. */
  readonly limit: number;
  /** The window length in milliseconds. */
  readonly interval: number;
  /** Bucket capacity. */
  readonly burst: number;

  /** Added to `preciseNow()`: how far the clock has gone back, and fallen behind the limiter's timers (see #now). */
  #offset = 0;
  /** The latest `preciseNow() + #offset`. */
  #seen = preciseNow();
  /** The clock fell behind what a timer of the limiter proved had passed, and was moved on (see #schedule); until it runs on by itself again. */
  #driven = false;
  /** The last timer fired with the clock not moved at all. */
  #stalled = false;
  /** Creation time, on the limiter's clock (see #now). */
  #created = this.#seen;
  readonly #waiters = new WaiterList();
  #bucket: number;
  /** Tokens that have arrived since creation, at the last refresh: ⌊(now − created) · limit / interval⌋. */
  #arrived = 0;
  /** Times of the last `limit` admissions, oldest at `#logStart` once full. */
  readonly #log: number[] = [];
  #logStart = 0;
  /** A token was just taken: restamp() may move its log entry to the start's real time. */
  #fresh = false;
  /** The log entry the last take overwrote (NaN: it appended), for refund(). */
  #undo = Number.NaN;
  #timer: TimerHandle | undefined = undefined;
  /** When the armed timer was armed, and when it fires. */
  #armedAt = 0;
  #timerAt = 0;

  /** @param options `{ limit, interval, burst? }`, see {@link RateLimitOptions}. */
  constructor(options: RateLimitOptions) {
    const { limit, interval, burst } = readOptions(options, '', 'options');
    this.limit = limit;
    this.interval = interval;
    this.burst = burst;
    this.#bucket = burst;
  }

  /** Starts that could happen right now (ignoring who is queued). */
  get tokens(): number {
    const t = this.#now();
    this.#refill(t);
    return Math.min(this.#bucket, this.limit - this.#inWindow(t));
  }

  /** `Date.now()` time at which the next token becomes available; `undefined` while `tokens > 0`. */
  get nextTokenAt(): number | undefined {
    const t = this.#now();
    const at = this.#dueAt(t);
    return at <= t ? undefined : now() + (at - t);
  }

  /** The most `tokens` can be: `min(burst, limit)`. @internal */
  get maxTokens(): number {
    return Math.min(this.burst, this.limit);
  }

  /** Callers queued for a token. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Take a token if one is available now and nobody is queued ahead; never waits. */
  tryAcquire(): boolean {
    if (this.#waiters.size > 0) return false;
    const t = this.#now();
    if (this.#dueAt(t) > t) return false;
    this.#take(t);
    return true;
  }

  /**
   * Wait for a token (FIFO, never dropped). If `signal` aborts first, the
   * waiter leaves the queue and the promise rejects with `CancelledError`
   * (cause: `signal.reason`).
   */
  acquire(signal?: AbortSignal): Promise<void> {
    return waitForGrant((grant) => this.enqueue(grant), signal, 'rate limiter acquire aborted');
  }

  /**
   * Wait for a token, then call `fn` and return its result. `fn` is called the moment its token is
   * granted (at once if one is free), so the start the limiter logs is the one the limited API sees:
   * no other code runs between them, as it could after an `await acquire()`.
   */
  run<T>(fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    try {
      checkFunction('fn', fn);
    } catch (error) {
      return Promise.reject(error);
    }
    return waitForGrant((grant) => this.enqueue(grant), signal, 'rate limiter acquire aborted', fn);
  }

  /**
   * Callback-style waiting for the executor: FIFO within a `priority` (a
   * task's; `acquire` waits at 0), higher first. `grant` is called with the
   * token already taken: at once (before `enqueue` returns) if one is
   * available and nobody is queued, else from the limiter's timer callback
   * (never re-entrantly from another call on the limiter). `grant` must not
   * throw. The handle's `cancel()` leaves the queue (a no-op after the grant).
   * @internal
   */
  enqueue(grant: () => void, priority = 0): Waiter {
    checkFunction('grant', grant);
    if (this.tryAcquire()) {
      grant();
      return NOOP_WAITER;
    }
    const waiter = this.#waiters.push(grant, () => this.#schedule(), priority);
    this.#schedule();
    return waiter;
  }

  /**
   * The time, from `preciseNow()`, which follows `Date.now()` (what fake timers move). It never goes
   * back: when the clock does (set back, fake timers set to the past), the limiter's time stands until
   * the clock moves on, so no start waits for the clock to catch up with admissions logged before. A
   * clock behind what the limiter's timers prove has passed is moved on to that (see #schedule): with a
   * clock that stands still (a frozen `Date`, fake timers that fake `setTimeout` alone), the timers drive it.
   */
  #now(): number {
    let t = preciseNow() + this.#offset;
    if (t < this.#seen) {
      this.#offset += this.#seen - t;
      t = this.#seen;
    }
    this.#seen = t;
    return t;
  }

  /** When token number `k` (counted from creation) arrives: one every `interval / limit` ms. */
  #tokenAt(k: number): number {
    return this.#created + (k * this.interval) / this.limit;
  }

  #refill(t: number): void {
    let arrived = Math.floor(((t - this.#created) * this.limit) / this.interval);
    // Agree exactly with #tokenAt (which #dueAt schedules by) despite float rounding.
    if (this.#tokenAt(arrived + 1) <= t) arrived++;
    else if (this.#tokenAt(arrived) > t) arrived--;
    if (arrived <= this.#arrived) return; // also ignores a clock that went back
    this.#bucket = Math.min(this.burst, this.#bucket + (arrived - this.#arrived));
    this.#arrived = arrived;
  }

  /** Admissions in the window (t − interval, t]. */
  #inWindow(t: number): number {
    return this.#log.length - this.#firstInWindow(t);
  }

  /** The position (from the oldest) of the oldest admission in the window (t − interval, t]; the log is in time order. */
  #firstInWindow(t: number): number {
    const log = this.#log;
    const n = log.length;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((log[(this.#logStart + mid) % n] as number) > t - this.interval) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Milliseconds until `tokens` rises — when a token arrives if the bucket is what holds it lower, when
   * the oldest admission leaves the window if the window is, when both have if both are — or
   * `undefined` while it is at its most (`maxTokens`): when an executor's subscribers should look again.
   * @internal
   */
  untilMore(): number | undefined {
    const t = this.#now();
    this.#refill(t);
    const log = this.#log;
    const first = this.#firstInWindow(t);
    const inWindow = log.length - first;
    const byWindow = this.limit - inWindow;
    if (Math.min(this.#bucket, byWindow) >= this.maxTokens) return undefined;
    // The rule that allows fewer starts decides when `tokens` rises; when both allow as many, both must.
    const tokenAt = this.#bucket < this.burst ? this.#tokenAt(this.#arrived + 1) : Number.POSITIVE_INFINITY;
    const leaveAt = inWindow > 0 ? (log[(this.#logStart + first) % log.length] as number) + this.interval : t;
    const at = this.#bucket < byWindow ? tokenAt : this.#bucket > byWindow ? leaveAt : Math.max(tokenAt, leaveAt);
    return Math.max(0, Math.ceil(at - t));
  }

  /** When both rules next allow a start: ≤ t if one is allowed at t. */
  #dueAt(t: number): number {
    this.#refill(t);
    const bucketAt = this.#bucket > 0 ? t : this.#tokenAt(this.#arrived + 1);
    const oldest = this.#log[this.#logStart] as number;
    // On the sub-millisecond clock, a 0.1 ms guard keeps the start a task records a few microseconds
    // after its admission inside the window too; on whole milliseconds (fake timers) times are exact.
    const guard = this.#driven || (Number.isInteger(oldest) && Number.isInteger(t)) ? 0 : WINDOW_GUARD;
    const windowAt = this.#log.length < this.limit ? t : oldest + this.interval + guard;
    return Math.max(bucketAt, windowAt);
  }

  /**
   * Called with the limiter's own time of each admission, as the window log records it (a subclass
   * in the tests stamps requests with it: a clock read after the grant can lag behind a GC pause).
   * @internal
   */
  protected admitted(_t: number): void {}

  #take(t: number): void {
    this.admitted(t);
    this.#fresh = true;
    this.#bucket--;
    if (this.#log.length < this.limit) {
      this.#log.push(t);
      this.#undo = Number.NaN;
    } else {
      this.#undo = this.#log[this.#logStart] as number;
      this.#log[this.#logStart] = t;
      this.#logStart = (this.#logStart + 1) % this.limit;
    }
  }

  /**
   * Give back the token taken last, in the same synchronous turn: the
   * executor takes one token from each of a task's limiters, or none.
   * @internal
   */
  refund(): void {
    this.#fresh = false;
    this.#bucket = Math.min(this.burst, this.#bucket + 1);
    if (Number.isNaN(this.#undo)) this.#log.pop();
    else {
      this.#logStart = (this.#logStart - 1 + this.limit) % this.limit;
      this.#log[this.#logStart] = this.#undo;
    }
    this.#undo = Number.NaN;
    if (this.#waiters.size > 0) this.#schedule();
  }
  /**
   * The start the last token paid for has begun: log that admission at the time the start really
   * happened (now), not when the token was taken. Starts recorded by the task functions then stay
   * `interval` apart for every `limit` of them even when a pause (a GC) fell between the grant and
   * the start. A no-op unless a token was just taken (and not refunded).
   * @internal
   */
  restamp(): void {
    if (!this.#fresh) return;
    this.#fresh = false;
    const n = this.#log.length;
    const newest = (this.#logStart - 1 + n) % n;
    const t = this.#now();
    if (t > (this.#log[newest] as number)) this.#log[newest] = t;
  }

  /** The timer's callback: serve waiters while tokens last. Grants run only here, never inside a caller's call. */
  #drain(): void {
    try {
      for (let t = this.#now(); this.#waiters.size > 0 && this.#dueAt(t) <= t; t = this.#now()) {
        this.#take(t);
        (this.#waiters.shift() as () => void)();
        this.restamp();
      }
    } finally {
      this.#schedule(); // even if a grant threw, the rest are not stranded
    }
  }

  /** Keep exactly one timer, for the moment the head waiter can be served, or none if nobody waits. */
  #schedule(): void {
    if (this.#waiters.size === 0) {
      this.#disarm();
      return;
    }
    const t = this.#now();
    // ceil: Date.now() counts whole ms, so the timer never fires before the head waiter is due. With
    // the clock standing still, the timer's proof (see below) needs the slack added.
    const delay = Math.max(0, Math.ceil(this.#dueAt(t) - t)) + (this.#driven || this.#stalled ? TIMER_SLACK : 0);
    // A timer already armed to fire no later is kept: re-arming one due now would push it back
    // (a 0 ms timeout fires after 1 ms), and one that fires early just finds nothing due and re-arms.
    if (this.#timer !== undefined && this.#timerAt <= t + delay) return;
    this.#disarm();
    this.#armedAt = t;
    this.#timerAt = t + delay;
    this.#timer = setTimer(() => {
      this.#timer = undefined;
      // Fired: whatever the clock says (fake timers that fake setTimeout alone), all but TIMER_SLACK of
      // the wait has passed — a proof a real clock is never behind. A clock behind it is moved on to it
      // and goes on from there (an offset, so the limiter's time still moves with the clock).
      const t = this.#now();
      const lag = this.#timerAt - TIMER_SLACK - t;
      if (lag > 0) {
        this.#offset += lag;
        this.#driven = true;
      } else if (lag <= -1 - TIMER_SLACK) this.#driven = false; // the clock went a full ms past the wait by itself
      this.#stalled = t - this.#armedAt < 0.1;
      this.#drain();
    }, delay);
  }

  #disarm(): void {
    clearTimer(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * The executor's `rateLimit` option: a shared {@link RateLimiter} as is, or
 * options validated with messages prefixed by `name` (`rateLimit.limit must be …`).
 */
export function toRateLimiter(value: RateLimiter | RateLimitOptions, name: string): RateLimiter {
  if (value instanceof RateLimiter) return value;
  readOptions(value, `${name}.`, name);
  return new RateLimiter(value);
}
