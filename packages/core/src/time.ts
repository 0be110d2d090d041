/**
 * Every wait in fanout goes through here. The globals are looked up on each
 * call, not captured at import, so fake timers installed later (tests) and
 * the demo's slow-motion clock are honoured. The clock is `Date.now()`, the
 * one every fake-timer library moves together with `setTimeout`.
 */
export type TimerHandle = ReturnType<typeof globalThis.setTimeout>;

export function setTimer(fn: () => void, ms: number): TimerHandle {
  return globalThis.setTimeout(fn, ms);
}

export function clearTimer(handle: TimerHandle | undefined): void {
  if (handle !== undefined) globalThis.clearTimeout(handle);
}

/** Milliseconds since the epoch, read through the global `Date` on each call. */
export function now(): number {
  return globalThis.Date.now();
}

/**
 * `Date.now()` with the sub-millisecond part real time has, for the rate
 * limiter's window: on whole milliseconds, starts admitted late in one
 * millisecond and `interval` later could be less than `interval` apart,
 * and a server timing arrivals finely would count one millisecond's starts
 * twice. The fraction comes from `performance.timeOrigin + performance.now()`
 * and is used only when that agrees with `Date.now()` to within the same
 * millisecond — never under fake timers or a moved system clock, where
 * `Date.now()` alone keeps its exact whole values.
 */
export function preciseNow(): number {
  const ms = globalThis.Date.now();
  const performance = globalThis.performance;
  if (performance === undefined || typeof performance.timeOrigin !== 'number') return ms;
  const fraction = performance.timeOrigin + performance.now() - ms;
  return fraction >= 0 && fraction < 1 ? ms + fraction : ms;
}
