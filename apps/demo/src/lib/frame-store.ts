import { useMemo, useSyncExternalStore } from 'react';

/** Anything readable through `useSyncExternalStore`: the executor, a map run, the demo's own stores. */
export interface ExternalStore<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

/**
 * Samples a store at most once per animation frame: the value React reads only
 * changes inside a `requestAnimationFrame` callback, so a burst of 1,000 task
 * completions costs one render, and a render never sees a value newer than
 * the frame it belongs to.
 */
export class FrameSampler<T> implements ExternalStore<T> {
  private value: T;
  private frame = 0;
  private readonly listeners = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly source: ExternalStore<T>) {
    this.value = source.getSnapshot();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    if (this.listeners.size === 0) {
      this.unsubscribe = this.source.subscribe(this.schedule);
      this.schedule(); // catch up with changes made while nobody listened
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    };
  };

  readonly getSnapshot = (): T => this.value;

  private readonly schedule = (): void => {
    if (this.frame === 0) this.frame = requestAnimationFrame(this.flush);
  };

  private readonly flush = (): void => {
    this.frame = 0;
    const next = this.source.getSnapshot();
    if (Object.is(next, this.value)) return;
    this.value = next;
    for (const listener of [...this.listeners]) listener();
  };
}

/** The store's value, re-rendering at most once per animation frame. */
export function useFrameSnapshot<T>(store: ExternalStore<T>): T {
  const sampler = useMemo(() => new FrameSampler(store), [store]);
  return useSyncExternalStore(sampler.subscribe, sampler.getSnapshot, sampler.getSnapshot);
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
 * The store's value, re-rendering at most once per animation frame, but read
 * live, as `@fanout/react`'s hooks read theirs: whatever renders the component
 * (this store's frame, a hook's, a parent's state) sees this store and those
 * hooks as they are at that moment, so values drawn from both agree in every
 * render. (`useFrameSnapshot` reads the value sampled at the last frame
 * instead: a render caused by something else shows it a frame behind the hooks.)
 */
export function useFrameNotified<T>(store: ExternalStore<T>): T {
  const subscribe = useMemo(() => onceAFrame(store.subscribe), [store]);
  return useSyncExternalStore(subscribe, store.getSnapshot, store.getSnapshot);
}
