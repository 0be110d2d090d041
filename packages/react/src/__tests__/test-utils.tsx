import { act, configure } from '@testing-library/react';
import { vi } from 'vitest';
import { setNotifyFunction } from '../frame-scheduler.js';

// Every render and renderHook runs inside <StrictMode>, at the root: a wrapper
// component placed above <StrictMode> would stop React from double-invoking
// the effects of the tree it mounts.
configure({ reactStrictMode: true });

// Every coalesced notification reaches React inside `act`: installed once, here.
setNotifyFunction((fn) => {
  act(fn);
});

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Let pending microtasks (deferred teardowns, promise chains) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Advance fake time by `ms` (one animation frame by default), running timers, frames and microtasks. */
export async function tick(ms = 16): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** `fake` ms of sleep that rejects with the signal's reason on abort (fake-timer friendly). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Never settles unless `signal` aborts (then rejects with its reason). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
