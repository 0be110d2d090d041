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
