import { AsyncExecutor, type AsyncFuture, type TaskContext, type WorkerState } from '@fanout/core';
import { act, render, renderHook } from '@testing-library/react';
import { type ReactNode, useEffect } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExecutorProvider, useExecutorContext } from '../context.js';
import { useExecutor } from '../use-executor.js';
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

function Submitter({ futures }: { futures: AsyncFuture<number>[] }): ReactNode {
  const { submit } = useExecutor();
  useEffect(() => {
    futures.push(submit(() => sleep(10).then(() => futures.length)));
  }, [submit, futures]);
  return null;
}

type Renders = Record<'lane0' | 'lane1' | 'running', number>;
const sameTask = (a: WorkerState | undefined, b: WorkerState | undefined) => a?.taskId === b?.taskId;

function Lane({ executor, renders, id }: { executor: AsyncExecutor; renders: Renders; id: 0 | 1 }): ReactNode {
  const { snapshot: worker } = useExecutor(executor, { select: (s) => s.workers[id], isEqual: sameTask });
  renders[id === 0 ? 'lane0' : 'lane1']++;
  return <span data-testid={`lane${id}`}>{worker?.taskId ?? '-'}</span>;
}

function Running({ executor, renders }: { executor: AsyncExecutor; renders: Renders }): ReactNode {
  const { snapshot: running } = useExecutor(executor, { select: (s) => s.running });
  renders.running++;
  return <span>{running}</span>;
}

describe('useExecutor (StrictMode)', () => {
  it('owns exactly one executor for the component life and shows its live snapshot', async () => {
    const { result, rerender } = renderHook(() => useExecutor({ maxWorkers: 3, name: 'pool' }));
    const executor = result.current.executor;
    expect(created.executors).toEqual([executor]);
    expect(result.current.snapshot).toMatchObject({ name: 'pool', maxWorkers: 3, running: 0, shutdown: false });
    let future: AsyncFuture<string> | undefined;
    act(() => {
      future = result.current.submit(() => sleep(50).then(() => 'done'));
    });
    await tick();
    expect(result.current.snapshot).toMatchObject({ running: 1, submitted: 1 });
    rerender();
    expect(result.current.executor).toBe(executor);
    await tick(50);
    expect(await future).toBe('done');
    expect(result.current.snapshot).toMatchObject({ running: 0, succeeded: 1 });
    expect(created.executors).toHaveLength(1);
  });

  it('loses no task submitted during the StrictMode double mount', async () => {
    const futures: AsyncFuture<number>[] = [];
    render(<Submitter futures={futures} />);
    await tick(20);
    expect(futures).toHaveLength(2); // StrictMode runs the effect twice
    expect(futures.map((f) => f.state)).toEqual(['succeeded', 'succeeded']);
    expect(created.executors).toHaveLength(1);
    expect(created.executors[0]?.getSnapshot().shutdown).toBe(false);
  });

  it('unmount shuts the owned executor down with cancelFutures: every signal aborts, no listener left', async () => {
    const signals: AbortSignal[] = [];
    const task = ({ signal }: TaskContext) => {
      signals.push(signal);
      return untilAborted(signal);
    };
    const { result, unmount } = renderHook(() => useExecutor({ maxWorkers: 2 }));
    const executor = result.current.executor;
    const futures = [1, 2, 3].map(() => result.current.submit(task));
    await tick();
    expect(result.current.snapshot).toMatchObject({ running: 2, queued: 1 });
    unmount();
    await flush();
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(futures.every((f) => f.cancelled())).toBe(true);
    expect(executor.getSnapshot()).toMatchObject({ shutdown: true, running: 0, queued: 0, cancelled: 3 });
    expect(executor.subscriberCount).toBe(0);
  });

  it('never shuts a given executor down, and unsubscribes on unmount', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const { result, unmount } = renderHook(() => useExecutor(executor));
    expect(result.current.executor).toBe(executor);
    const future = result.current.submit(() => sleep(10).then(() => 7));
    await tick();
    expect(executor.subscriberCount).toBe(1);
    unmount();
    await flush();
    expect(executor.subscriberCount).toBe(0);
    await tick(10);
    expect(await future).toBe(7);
    expect(executor.getSnapshot().shutdown).toBe(false);
  });

  it('cancelAll cancels every task and keeps the executor open', async () => {
    const { result } = renderHook(() => useExecutor());
    const signals: AbortSignal[] = [];
    act(() => {
      for (let i = 0; i < 3; i++)
        result.current.submit(({ signal }) => {
          signals.push(signal);
          return untilAborted(signal);
        });
    });
    act(() => result.current.cancelAll());
    await tick();
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(result.current.snapshot).toMatchObject({ cancelled: 3, running: 0, shutdown: false });
  });

  it('resizes the owned pool when maxWorkers changes', async () => {
    const { result, rerender } = renderHook(({ n }) => useExecutor({ maxWorkers: n }), {
      initialProps: { n: 2 },
    });
    const executor = result.current.executor;
    rerender({ n: 5 });
    await tick();
    expect(result.current.executor).toBe(executor);
    expect(result.current.snapshot.maxWorkers).toBe(5);
    expect(created.executors).toHaveLength(1);
  });

  it("shows the rate limiter's tokens coming back while nothing else happens", async () => {
    const { result } = renderHook(() => useExecutor({ maxWorkers: 5, rateLimit: { limit: 5, interval: 1000 } }));
    for (let i = 0; i < 5; i++) result.current.submit(() => i);
    await tick();
    expect(result.current.snapshot.rateLimit?.tokens).toBe(0);
    await tick(1000);
    expect(result.current.snapshot.rateLimit?.tokens).toBe(5);
    expect(vi.getTimerCount()).toBe(0); // full: no timer left
  });

  it('uses the ExecutorProvider executor when called without arguments', () => {
    const executor = new AsyncExecutor();
    const wrapper = ({ children }: { children?: ReactNode }) => (
      <ExecutorProvider executor={executor}>{children}</ExecutorProvider>
    );
    const { result } = renderHook(() => ({ hook: useExecutor(), context: useExecutorContext() }), { wrapper });
    expect(result.current.hook.executor).toBe(executor);
    expect(result.current.context).toBe(executor);
    expect(() => renderHook(() => useExecutorContext())).toThrow(/no <ExecutorProvider>/);
  });

  it('checks its options: an object with a select function', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const executor = new AsyncExecutor();
    expect(() => renderHook(() => useExecutor(executor, null as never))).toThrow(
      new TypeError('options must be an options object, got null'),
    );
    expect(() => renderHook(() => useExecutor(executor, { select: 5 } as never))).toThrow(
      new TypeError('options.select must be a function, got 5'),
    );
    // isEqual alone compares whole snapshots
    expect(renderHook(() => useExecutor(executor, { isEqual: Object.is } as never)).result.current.snapshot).toBe(
      executor.getSnapshot(),
    );
    log.mockRestore();
  });

  it('select re-renders a component only when its slice (one worker lane) changes', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const renders = { lane0: 0, lane1: 0, running: 0 };
    const view = render(
      <>
        <Lane executor={executor} renders={renders} id={0} />
        <Lane executor={executor} renders={renders} id={1} />
        <Running executor={executor} renders={renders} />
      </>,
    );
    await tick();
    const base = { ...renders };
    // One task at a time: a single worker lane is ever busy; the other never re-renders.
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      executor.submit(() => sleep(20));
      await tick(16); // frame while the task runs
      seen.add(`${view.getByTestId('lane0').textContent}|${view.getByTestId('lane1').textContent}`);
      await tick(16); // frame after it finished
    }
    const busy = [...seen].some((s) => s.startsWith('-|')) ? 'lane1' : 'lane0';
    const idle = busy === 'lane0' ? 'lane1' : 'lane0';
    expect(seen.size).toBe(3); // three different task ids shown in the busy lane
    expect(renders[idle]).toBe(base[idle]);
    // StrictMode renders twice: busy, idle, busy, idle, busy, idle = 6 commits.
    expect(renders[busy] - base[busy]).toBe(12);
    // Churn that does not change the running count does not re-render Running either.
    const running = renders.running;
    await tick(100);
    expect(renders.running).toBe(running);
    expect(executor.subscriberCount).toBe(3);
    view.unmount();
    expect(executor.subscriberCount).toBe(0);
  });
});
