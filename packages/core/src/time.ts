/**
 * Every wait in fanout goes through here. The globals are looked up on each
 * call, not captured at import, so fake timers installed later (tests) are
 * honoured. The clock is `Date.now()`, the one every fake-timer library moves
 * together with `setTimeout`.
 */
/** `setTimeout` fires at once past 2³¹ − 1 ms (≈ 24.8 days): a longer wait is a chain of shorter ones. */
const MAX_DELAY = 2 ** 31 - 1;

/** A wait longer than one `setTimeout` can hold (or `Infinity`, which never fires and holds no timer). */
class LongTimer {
  id: ReturnType<typeof globalThis.setTimeout> | undefined = undefined;
}

export type TimerHandle = ReturnType<typeof globalThis.setTimeout> | LongTimer;

/** `unref`: in Node the timer (each link of a long one) does not keep an idle process alive. */
export function setTimer(fn: () => void, ms: number, unref = false): TimerHandle {
  if (ms <= MAX_DELAY) return startTimer(fn, ms, unref);
  const timer = new LongTimer();
  if (ms === Number.POSITIVE_INFINITY) return timer;
  // Counted in steps rather than read from the clock: fake timers that fake setTimeout alone work too.
  let left = ms;
  const arm = () => {
    const step = Math.min(left, MAX_DELAY);
    left -= step;
    timer.id = startTimer(left > 0 ? arm : fn, step, unref);
  };
  arm();
  return timer;
}

function startTimer(fn: () => void, ms: number, unref: boolean): ReturnType<typeof globalThis.setTimeout> {
  const id = globalThis.setTimeout(fn, ms);
  if (unref) (id as { unref?: () => void }).unref?.();
  return id;
}

export function clearTimer(handle: TimerHandle | undefined): void {
  if (handle !== undefined) globalThis.clearTimeout(handle instanceof LongTimer ? handle.id : handle);
}

/** Milliseconds since the epoch, read through the global `Date` on each call. */
export function now(): number {
  return globalThis.Date.now();
}

let offset: number | undefined;
const RESYNC_MS = 5;

/**
 * `Date.now()` with sub-millisecond resolution, for the rate limiter's
 * window: on whole milliseconds, starts admitted late in one millisecond and
 * `interval` later could be less than `interval` apart, and a server timing
 * arrivals finely would count one millisecond's starts twice. The time is
 * `performance.now()` plus an offset to `Date.now()`, so every reading shares
 * one monotonic base; whenever the two clocks disagree by more than a few
 * milliseconds (fake timers, a moved system clock) the offset is taken
 * again, which makes it plain `Date.now()` under fake timers that move both.
 */
export function preciseNow(): number {
  const performance = globalThis.performance;
  if (performance === undefined) return globalThis.Date.now();
  const before = performance.now();
  const ms = globalThis.Date.now();
  const after = performance.now();
  if (offset !== undefined) {
    const t = after + offset;
    if (t > ms - RESYNC_MS && t < ms + RESYNC_MS) return t;
    // A thread preempted between the readings makes them disagree too: keep the monotonic time.
    if (after - before > 0.5) return t;
  }
  offset = ms - after;
  return ms;
}
