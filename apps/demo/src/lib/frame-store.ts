import { useMemo, useSyncExternalStore } from 'react';

/** Anything readable through `useSyncExternalStore`: the executor, a map run, the demo's own stores. */
export interface ExternalStore<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

/**
 * `subscribe`, its listener called at most once per animation frame however often the store notifies.
 * Unsubscribing drops a pending call.
 */
function onceAFrame(subscribe: ExternalStore<unknown>['subscribe']): ExternalStore<unknown>['subscribe'] {
  return (listener) => {
    let frame = 0;
    const unsubscribe = subscribe(() => {
      if (frame === 0)
        frame = requestAnimationFrame(() => {
          frame = 0;
          listener();
        });
    });
    return () => {
      unsubscribe();
      cancelAnimationFrame(frame);
      frame = 0;
    };
  };
}

/**
 * The store's value, re-rendering at most once per animation frame, read live, as `@fanout/react`'s
 * hooks read theirs: whatever renders the component (this store's frame, a hook's, a parent's state)
 * sees this store and those hooks as they are at that moment, so values drawn from both agree in
 * every render.
 */
export function useFrameNotified<T>(store: ExternalStore<T>): T {
  const subscribe = useMemo(() => onceAFrame(store.subscribe), [store]);
  return useSyncExternalStore(subscribe, store.getSnapshot, store.getSnapshot);
}
