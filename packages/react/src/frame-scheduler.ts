'use client';

/** A `subscribe` function as `useSyncExternalStore` takes it. */
export type Subscribe = (listener: () => void) => () => void;

/** What {@link setNotifyFunction} takes: calls `callback` (wrapped, e.g. in `act`). */
export type NotifyFunction = (callback: () => void) => void;

let notifyFunction: NotifyFunction = (callback) => callback();

/**
 * Wrap every coalesced notification, e.g. in React's `act` in tests
 * (`setNotifyFunction((fn) => act(fn))`), like TanStack Query's
 * `notifyManager.setNotifyFunction`. Install it once, not around each assertion.
 */
export function setNotifyFunction(fn: NotifyFunction): void {
  notifyFunction = fn;
}

/**
 * Call `callback` at the next animation frame, or in a microtask where there
 * is no `requestAnimationFrame` (Node, workers). Returns a function that
 * cancels the call. The globals are looked up on each call so fake timers
 * installed later are honoured.
 */
export function scheduleFrame(callback: () => void): () => void {
  const g = globalThis;
  if (typeof g.requestAnimationFrame === 'function') {
    const id = g.requestAnimationFrame(() => callback());
    return () => g.cancelAnimationFrame(id);
  }
  let live = true;
  queueMicrotask(() => {
    if (live) callback();
  });
  return () => {
    live = false;
  };
}

/**
 * A `subscribe` whose listeners hear at most once per frame however often
 * `subscribe`'s source notifies: what keeps a hook to one render per frame
 * when 1,000 tasks finish in one tick. Unsubscribing drops a pending call.
 */
export function coalesce(subscribe: Subscribe): Subscribe {
  return (listener) => {
    let cancel: (() => void) | undefined;
    const unsubscribe = subscribe(() => {
      cancel ??= scheduleFrame(() => {
        cancel = undefined;
        notifyFunction(listener);
      });
    });
    return () => {
      cancel?.();
      cancel = undefined;
      unsubscribe();
    };
  };
}
