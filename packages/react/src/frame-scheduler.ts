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

/** Listeners to call at the next frame (a wrapper per subscription), and the one frame that calls them. */
const pending = new Set<() => void>();
let cancelFrame: (() => void) | undefined;

/**
 * A `subscribe` whose listeners hear at most once per frame however often
 * `subscribe`'s source notifies: what keeps a hook to one render per frame
 * when 1,000 tasks finish in one tick. Every coalesced listener due in a frame
 * is called in one `notifyFunction` call, so React commits the hooks of a page
 * together, once. Unsubscribing drops a pending call.
 */
export function coalesce(subscribe: Subscribe): Subscribe {
  return (listener) => {
    const call = () => listener();
    const unsubscribe = subscribe(() => {
      pending.add(call);
      cancelFrame ??= scheduleFrame(flush);
    });
    return () => {
      pending.delete(call);
      if (pending.size === 0) {
        cancelFrame?.();
        cancelFrame = undefined;
      }
      unsubscribe();
    };
  };
}

function flush(): void {
  cancelFrame = undefined;
  notifyFunction(() => {
    // Taken one by one, so that a listener unsubscribed meanwhile (an unmount) is not called.
    for (const call of pending) {
      pending.delete(call);
      call();
    }
  });
}
