import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesce, scheduleFrame } from '../frame-scheduler.js';

function source() {
  const listeners = new Set<() => void>();
  return {
    subscribe: (listener: () => void) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    notify: () => {
      for (const l of listeners) l();
    },
    get size() {
      return listeners.size;
    },
  };
}

describe('coalesce (requestAnimationFrame)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls the listener once per frame however many notifications', async () => {
    const s = source();
    const listener = vi.fn();
    coalesce(s.subscribe)(listener);
    for (let i = 0; i < 1000; i++) s.notify();
    await Promise.resolve();
    expect(listener).not.toHaveBeenCalled();
    vi.advanceTimersByTime(16);
    expect(listener).toHaveBeenCalledTimes(1);
    s.notify();
    s.notify();
    vi.advanceTimersByTime(16);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('unsubscribing drops a pending frame and the source listener', () => {
    const s = source();
    const listener = vi.fn();
    const unsubscribe = coalesce(s.subscribe)(listener);
    s.notify();
    unsubscribe();
    vi.advanceTimersByTime(100);
    expect(listener).not.toHaveBeenCalled();
    expect(s.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('coalesce (no requestAnimationFrame: a microtask)', () => {
  beforeEach(() => {
    vi.stubGlobal('requestAnimationFrame', undefined);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('calls the listener once per microtask burst', async () => {
    const s = source();
    const listener = vi.fn();
    coalesce(s.subscribe)(listener);
    s.notify();
    s.notify();
    expect(listener).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('scheduleFrame can be cancelled', async () => {
    const cb = vi.fn();
    const cancel = scheduleFrame(cb);
    cancel();
    await Promise.resolve();
    expect(cb).not.toHaveBeenCalled();
  });
});
