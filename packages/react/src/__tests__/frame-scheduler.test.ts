import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coalesce, scheduleFrame, setNotifyFunction } from '../frame-scheduler.js';

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

describe('coalesce: every subscription due in a frame, in one notification', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    setNotifyFunction((fn) => fn());
    vi.useRealTimers();
  });

  it('one frame callback and one notifyFunction call for all of them; one unsubscribed keeps the frame for the rest', () => {
    const a = source();
    const b = source();
    const heard: string[] = [];
    const batches: number[] = [];
    setNotifyFunction((fn) => {
      const before = heard.length;
      fn();
      batches.push(heard.length - before);
    });
    coalesce(a.subscribe)(() => heard.push('a'));
    const dropB = coalesce(b.subscribe)(() => heard.push('b'));
    const c = coalesce(b.subscribe)(() => heard.push('c'));
    a.notify();
    b.notify();
    expect(vi.getTimerCount()).toBe(1);
    dropB();
    vi.advanceTimersByTime(16);
    expect(heard).toEqual(['a', 'c']);
    expect(batches).toEqual([2]);
    b.notify();
    c(); // the last one pending: no frame is left behind
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('coalesce: a listener unsubscribed during the frame (an unmount)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('is not called', () => {
    const s = source();
    const second = vi.fn();
    let dropSecond = () => {};
    coalesce(s.subscribe)(() => dropSecond());
    dropSecond = coalesce(s.subscribe)(second);
    s.notify();
    vi.advanceTimersByTime(16);
    expect(second).not.toHaveBeenCalled();
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
