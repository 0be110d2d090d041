import type { TaskContext } from '@fanout/core';
import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAsCompleted } from '../use-as-completed.js';
import { created } from './spy-core.js';
import { flush, sleep, tick, untilAborted } from './test-utils.js';

vi.mock('@fanout/core', async (importOriginal) => (await import('./spy-core.js')).spyCore(await importOriginal()));

beforeEach(() => {
  vi.useFakeTimers();
  created.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

const wait = async (ms: number, { signal }: TaskContext) => {
  await sleep(ms, signal);
  if (ms === 50) throw new Error('fifty');
  return `${ms} ms`;
};

describe('useAsCompleted (StrictMode)', () => {
  it('lists finished items in completion order, with index, item, value or error, and time', async () => {
    const t0 = Date.now();
    const { result } = renderHook(() => useAsCompleted(wait, [300, 10, 120, 50], { returnExceptions: true }));
    expect(result.current).toMatchObject({ status: 'running', completed: [] });
    await tick(16);
    expect(result.current.completed).toEqual([{ index: 1, item: 10, value: '10 ms', at: t0 + 10 }]);
    await tick(300);
    const { completed } = result.current;
    expect(completed.map((c) => c.index)).toEqual([1, 3, 2, 0]);
    expect(completed.map((c) => c.value)).toEqual(['10 ms', undefined, '120 ms', '300 ms']);
    expect(completed[1]?.error).toEqual(new Error('fifty'));
    expect(completed.map((c) => c.at - t0)).toEqual([10, 50, 120, 300]);
    expect(result.current.status).toBe('success');
    expect(result.current.progress).toMatchObject({ total: 4, done: 4, failed: 1 });
  });

  it('runs each item exactly once under StrictMode', async () => {
    let calls = 0;
    const { result } = renderHook(() =>
      useAsCompleted(
        (x: number) => {
          calls++;
          return x;
        },
        [1, 2, 3],
      ),
    );
    await tick();
    expect(result.current.completed.map((c) => c.value)).toEqual([1, 2, 3]);
    expect(calls).toBe(3);
    expect(created.executors).toHaveLength(1);
  });

  it('unmount aborts every task and leaves no listener', async () => {
    const signals: AbortSignal[] = [];
    const { unmount } = renderHook(() =>
      useAsCompleted(
        (_: number, { signal }: TaskContext) => {
          signals.push(signal);
          return untilAborted(signal);
        },
        [1, 2, 3],
      ),
    );
    await tick();
    const executor = created.executors[0];
    unmount();
    await flush();
    expect(signals).toHaveLength(3);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(executor?.subscriberCount).toBe(0);
    expect(created.runs.every((run) => run.subscriberCount === 0)).toBe(true);
  });

  it('changing items cancels the run and starts over; the same elements do not', async () => {
    const { result, rerender } = renderHook(({ items }) => useAsCompleted(wait, items), {
      initialProps: { items: [100, 20] },
    });
    await tick(32);
    expect(result.current.completed.map((c) => c.item)).toEqual([20]);
    rerender({ items: [100, 20] });
    await tick(16);
    expect(result.current.completed.map((c) => c.item)).toEqual([20]);
    rerender({ items: [30, 5] });
    await tick(16);
    expect(result.current.completed.map((c) => c.item)).toEqual([5]);
    await tick(32);
    expect(result.current).toMatchObject({ status: 'success' });
    expect(result.current.completed.map((c) => c.item)).toEqual([5, 30]);
    expect(created.runs.some((run) => run.getSnapshot().status === 'cancelled')).toBe(true);
  });

  it('cancel and restart', async () => {
    const { result } = renderHook(() => useAsCompleted(wait, [40, 20]));
    await tick(16);
    act(() => result.current.cancel());
    await tick();
    expect(result.current.status).toBe('cancelled');
    act(() => result.current.restart());
    await tick(48);
    expect(result.current.status).toBe('success');
    expect(result.current.completed.map((c) => c.item)).toEqual([20, 40]);
  });
});
