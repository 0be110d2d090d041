'use client';

import { useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { coalesce, type Subscribe } from './frame-scheduler.js';

/** Decides whether a new selection equals the previous one (then no re-render). */
export type Equality<T> = (a: T, b: T) => boolean;

const identity = <S>(snapshot: S): S => snapshot;

/**
 * Read a core store (`subscribe` + `getSnapshot`) at most once per frame,
 * optionally through `select`: the component re-renders only when the
 * selection changes by `isEqual` (like `useSyncExternalStoreWithSelector`).
 * @internal
 */
export function useStore<S, T = S>(
  subscribe: Subscribe,
  getSnapshot: () => S,
  getServerSnapshot: () => S,
  select: (snapshot: S) => T = identity as (snapshot: S) => T,
  isEqual: Equality<T> = Object.is,
): T {
  const onFrame = useMemo(() => coalesce(subscribe), [subscribe]);
  const committed = useRef<{ value: T } | undefined>(undefined);
  const [get, getServer] = useMemo(() => {
    let memo: { snapshot: S; value: T } | undefined;
    const pick = (snapshot: S): T => {
      if (memo !== undefined && Object.is(memo.snapshot, snapshot)) return memo.value;
      const next = select(snapshot);
      const prev = memo ?? committed.current;
      memo = { snapshot, value: prev !== undefined && isEqual(prev.value, next) ? prev.value : next };
      return memo.value;
    };
    return [() => pick(getSnapshot()), () => pick(getServerSnapshot())];
  }, [getSnapshot, getServerSnapshot, select, isEqual]);
  const value = useSyncExternalStore(onFrame, get, getServer);
  useEffect(() => {
    committed.current = { value };
  });
  return value;
}
