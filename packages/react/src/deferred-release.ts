'use client';

const pending = new WeakMap<object, () => void>();

/**
 * Tear `owner` down in a microtask unless {@link retain} claims it first.
 * StrictMode's simulated unmount is followed at once (synchronously) by a
 * remount, a real unmount is not: deferring the teardown lets the remount
 * undo it, so no second pool is built and no task is run twice (xstate's
 * `useActorRef` defers its `stop` the same way).
 */
export function release(owner: object, teardown: () => void): void {
  let live = true;
  pending.set(owner, () => {
    live = false;
  });
  queueMicrotask(() => {
    if (!live) return;
    pending.delete(owner);
    teardown();
  });
}

/** Undo a pending {@link release} of `owner` (no-op if none). */
export function retain(owner: object): void {
  pending.get(owner)?.();
  pending.delete(owner);
}
