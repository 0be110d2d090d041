import { AsyncExecutor, CancelledError, RateLimiter, type TaskContext, TimeoutError } from '@fanout/core';
import { act, render, renderHook } from '@testing-library/react';
import { Component, type ReactNode, Suspense } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExecutorProvider } from '../context.js';
import { useMap } from '../use-map.js';
import { created } from './spy-core.js';
import { deferred, flush, sleep, tick, untilAborted } from './test-utils.js';

vi.mock('@fanout/core', async (importOriginal) => (await import('./spy-core.js')).spyCore(await importOriginal()));

beforeEach(() => {
  vi.useFakeTimers();
  created.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

const double = async (ms: number) => {
  await sleep(ms);
  return ms * 2;
};

/** Catches what its subtree throws while rendering. */
class Boundary extends Component<{ children: ReactNode; onError: (error: unknown) => void }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override componentDidCatch(error: unknown) {
    this.props.onError(error);
  }
  override render() {
    return this.state.failed ? 'failed' : this.props.children;
  }
}

/** Passes a new array of new objects on every render. */
function InlineObjects({ fn, ids }: { fn: (o: { id: number }) => Promise<number>; ids: number[] }) {
  const { status } = useMap(
    fn,
    ids.map((id) => ({ id })),
  );
  return status;
}

/** Objects with a nested array, new on every render. */
function Nested({ ids }: { ids: number[] }) {
  return useMap(
    (o: { id: number }) => o.id,
    ids.map((id) => ({ id, tags: ['a'] })),
  ).status;
}

/** Suspends forever (a render React throws away). */
const never = new Promise<void>(() => {});

/** Loads a page whose every attempt fails; suspends when asked. */
function Page({ page, retries, suspend }: { page: number; retries: number; suspend: boolean }) {
  const { status, attempts } = useMap(
    async (p: number) => {
      throw new Error(`page ${p}`);
    },
    [page],
    { retries, retryDelay: 0 },
  );
  if (suspend) throw never;
  return `${page}:${status}:${attempts.join(',')}`;
}

describe('useMap (StrictMode)', () => {
  it('fills results[i] as item i finishes, in input order', async () => {
    const { result } = renderHook(() => useMap(double, [40, 10, 20]));
    expect(result.current.status).toBe('running');
    expect(result.current.progress).toMatchObject({ total: 3, done: 0, running: 3 });
    // Renders happen on animation frames (every 16 ms under fake timers).
    await tick(16);
    expect(result.current.results).toEqual([undefined, 20]);
    expect(result.current.progress).toMatchObject({ done: 1, running: 2 });
    await tick(16);
    expect(result.current.results).toEqual([undefined, 20, 40]);
    await tick(16);
    expect(result.current).toMatchObject({ status: 'success', results: [80, 20, 40], error: undefined });
    expect(result.current.progress).toEqual({ total: 3, done: 3, failed: 0, running: 0, queued: 0, retrying: 0 });
    expect(result.current.attempts).toEqual([1, 1, 1]);
  });

  it('creates exactly one executor and runs each item exactly once', async () => {
    const calls = new Map<number, number>();
    const fn = (x: number) => {
      calls.set(x, (calls.get(x) ?? 0) + 1);
      return sleep(5).then(() => x);
    };
    const { result } = renderHook(() => useMap(fn, [1, 2, 3, 4]));
    await tick(20);
    expect(result.current.status).toBe('success');
    expect(result.current.results).toEqual([1, 2, 3, 4]);
    expect([...calls.values()]).toEqual([1, 1, 1, 1]);
    expect(created.executors).toHaveLength(1);
    expect(created.executors[0]?.getSnapshot()).toMatchObject({
      submitted: 4,
      succeeded: 4,
      cancelled: 0,
      shutdown: false,
    });
  });

  it('unmount aborts every task signal, settles every future and leaves no listener', async () => {
    const signals: AbortSignal[] = [];
    const { result, unmount } = renderHook(() =>
      useMap(
        (_: number, { signal }: TaskContext) => {
          signals.push(signal);
          return untilAborted(signal);
        },
        [1, 2, 3, 4, 5],
      ),
    );
    await tick();
    expect(result.current.progress.running).toBe(5);
    const executor = created.executors[0] as AsyncExecutor;
    unmount();
    await flush();
    expect(signals).toHaveLength(5);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(executor.getSnapshot()).toMatchObject({ shutdown: true, running: 0, queued: 0, cancelled: 5 });
    expect(executor.subscriberCount).toBe(0);
    expect(created.runs.length).toBeGreaterThan(0);
    expect(created.runs.every((run) => run.subscriberCount === 0)).toBe(true);
  });

  it('with a shared executor, unmount cancels the run but leaves the executor open', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const signals: AbortSignal[] = [];
    const wrapper = ({ children }: { children?: ReactNode }) => (
      <ExecutorProvider executor={executor}>{children}</ExecutorProvider>
    );
    const { unmount } = renderHook(
      () =>
        useMap(
          (_: number, { signal }: TaskContext) => {
            signals.push(signal);
            return untilAborted(signal);
          },
          [1, 2, 3, 4],
        ),
      { wrapper },
    );
    await tick();
    expect(executor.getSnapshot()).toMatchObject({ running: 2, queued: 2 });
    unmount();
    await flush();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(executor.getSnapshot()).toMatchObject({ shutdown: false, running: 0, queued: 0, cancelled: 4 });
    expect(executor.subscriberCount).toBe(0);
    expect(created.runs.every((run) => run.subscriberCount === 0)).toBe(true);
    expect(await executor.submit(() => 'still open')).toBe('still open');
  });

  it("on a shared executor, other callers' tasks re-render nothing: the run's snapshot stays the same", async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders++;
        return useMap((_: number, { signal }: TaskContext) => untilAborted(signal), [1], { executor });
      },
      { reactStrictMode: false },
    );
    await tick();
    const before = renders;
    const { results, progress } = result.current;
    for (let k = 0; k < 10; k++) {
      executor.submit(() => sleep(5)); // someone else's task: queued, running, succeeded
      await tick();
    }
    expect(executor.getSnapshot().succeeded).toBe(10);
    expect(renders).toBe(before);
    expect(result.current.results).toBe(results);
    expect(result.current.progress).toBe(progress);
    act(() => result.current.cancel());
  });

  it('a Set written inline, or a generator called during render, runs once: no restart, no render loop', async () => {
    function* range(n: number) {
      for (let i = 0; i < n; i++) yield i;
    }
    const seen: string[] = [];
    const fn = async (x: number | string) => {
      seen.push(String(x));
      await sleep(5);
      return x;
    };
    const { result, rerender } = renderHook(
      ({ set }) => [useMap(fn, set ? new Set(['a', 'b']) : ['x']), useMap(fn, range(3))],
      {
        initialProps: { set: true },
      },
    );
    await tick(16);
    rerender({ set: true });
    await tick(16);
    expect(result.current.map((r) => r.status)).toEqual(['success', 'success']);
    expect(result.current[0]?.results).toEqual(['a', 'b']);
    expect(result.current[1]?.results).toEqual([0, 1, 2]);
    expect(seen.sort()).toEqual(['0', '1', '2', 'a', 'b']); // each item ran once
  });

  it('items that differ on every render (an inline array of new objects) fail with a clear error, not a loop', async () => {
    const errors: unknown[] = [];
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const fn = vi.fn(async (o: { id: number }) => o.id);
    const view = render(
      <Boundary onError={(error) => errors.push(error)}>
        <InlineObjects fn={fn} ids={[1, 2]} />
      </Boundary>,
    );
    await tick();
    log.mockRestore();
    expect(view.container.textContent).toBe('failed');
    expect(String(errors[0])).toMatch(/changed on every render.*Memoize the input \(useMemo\) or pass options\.key/);
    expect(fn.mock.calls.length).toBeLessThan(20); // a handful of runs started, not a storm
  });

  it('a new array literal with the same elements does not restart; different elements do', async () => {
    const calls: [string, AbortSignal][] = [];
    const fn = (x: string, { signal }: TaskContext) => {
      calls.push([x, signal]);
      return untilAborted(signal);
    };
    const { result, rerender } = renderHook(({ a, b }) => useMap(fn, [a, b]), {
      initialProps: { a: 'a', b: 'b' },
    });
    await tick();
    const runs = created.runs.length;
    rerender({ a: 'a', b: 'b' });
    await tick();
    expect(created.runs.length).toBe(runs);
    expect(calls.map(([x]) => x)).toEqual(['a', 'b']);
    expect(result.current.status).toBe('running');

    rerender({ a: 'a', b: 'c' });
    await tick();
    expect(calls.map(([x, signal]) => [x, signal.aborted])).toEqual([
      ['a', true],
      ['b', true],
      ['a', false],
      ['c', false],
    ]);
    expect(result.current.status).toBe('running');
    expect(result.current.progress).toMatchObject({ total: 2, running: 2 });
    const old = created.runs.find((run) => run.getSnapshot().status === 'cancelled');
    expect(old).toBeDefined();
  });

  it('objects with nested fields that loop end in the same clear error', async () => {
    const errors: unknown[] = [];
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    render(
      <Boundary onError={(error) => errors.push(error)}>
        <Nested ids={[1, 2]} />
      </Boundary>,
    );
    await tick();
    log.mockRestore();
    expect(String(errors[0])).toMatch(/changed on every render.*Memoize the input/);
  });

  it('`key` is compared by value, like a Query key: written inline it is no change; a new value restarts', async () => {
    const fn = vi.fn((id: number) => id * 10);
    const { result, rerender } = renderHook(
      ({ ids, page }) => useMap(fn, ids, { key: ['users', { page, filter: { ids: [...ids] } }] }),
      { initialProps: { ids: [1, 2], page: 1 } },
    );
    await tick();
    for (let i = 0; i < 15; i++) rerender({ ids: [1, 2], page: 1 }); // new arrays and objects, same value
    await tick();
    expect(result.current).toMatchObject({ status: 'success', results: [10, 20] });
    expect(fn).toHaveBeenCalledTimes(2); // one run, not sixteen

    rerender({ ids: [1, 2], page: 2 });
    await tick();
    expect(fn).toHaveBeenCalledTimes(4);
    expect(result.current.status).toBe('success');
  });

  it('a `key` nested as deep as a GraphQL or Prisma filter is still compared by value', async () => {
    const fn = vi.fn((id: number) => id);
    const key = () => ['todos', { where: { status: { in: ['open', { not: ['x'] }] } } }];
    const { result, rerender } = renderHook(() => useMap(fn, [1, 2], { key: key() }));
    for (let i = 0; i < 15; i++) rerender();
    await tick();
    expect(result.current.status).toBe('success');
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('items with holes are compared element by element too: [ , , 7] to [5, 6, 7] restarts', async () => {
    const fn = vi.fn((x: number | undefined) => x ?? 0);
    const holes: (number | undefined)[] = new Array(3);
    holes[2] = 7;
    const { result, rerender } = renderHook(({ items }) => useMap(fn, items), { initialProps: { items: holes } });
    await tick();
    expect(result.current.results).toEqual([0, 0, 7]);
    rerender({ items: [5, 6, 7] });
    await tick();
    expect(result.current.results).toEqual([5, 6, 7]);
  });

  it('a render React throws away (Suspense) leaves nothing behind: a later run uses its own options', async () => {
    const at = (page: number, retries: number, suspend: boolean) => (
      <Suspense fallback="loading">
        <Page page={page} retries={retries} suspend={suspend} />
      </Suspense>
    );
    const view = render(at(1, 0, false));
    await tick(50);
    expect(view.container.textContent).toBe('1:error:1');
    view.rerender(at(2, 5, true)); // thrown away
    await tick(50);
    view.rerender(at(1, 0, false));
    await tick(50);
    view.rerender(at(2, 0, false));
    await tick(100);
    expect(view.container.textContent).toBe('2:error:1'); // one attempt: retries 0, not the discarded render's 5
  });

  it('many changes of value in one synchronous stretch are restarts, not a render loop', async () => {
    const fn = (x: number, { signal }: TaskContext) => untilAborted(signal).catch(() => x);
    const { result, rerender } = renderHook(({ page }) => useMap(fn, [page * 2, page * 2 + 1]), {
      initialProps: { page: 0 },
    });
    for (let page = 1; page <= 30; page++) rerender({ page }); // no microtask in between: one stretch
    await tick();
    expect(result.current.status).toBe('running');
    expect(result.current.progress).toMatchObject({ total: 2, running: 2 });
    expect(created.runs.filter((run) => run.getSnapshot().status === 'cancelled')).toHaveLength(30);
  });

  it('options.key decides instead of the items', async () => {
    let calls = 0;
    const fn = (x: number) => {
      calls++;
      return x;
    };
    const { result, rerender } = renderHook(({ ids, key }) => useMap(fn, ids, { key }), {
      initialProps: { ids: [1, 2], key: 'k1' },
    });
    await tick();
    expect(result.current.results).toEqual([1, 2]);
    rerender({ ids: [3, 4], key: 'k1' });
    await tick();
    expect(calls).toBe(2);
    expect(result.current.results).toEqual([1, 2]);
    rerender({ ids: [3, 4], key: 'k2' });
    await tick();
    expect(calls).toBe(4);
    expect(result.current.results).toEqual([3, 4]);
  });

  it('a new fn closure each render is no change, and the latest fn is called', async () => {
    const gate = deferred();
    const { result, rerender } = renderHook(
      ({ suffix }) =>
        useMap(
          async (x: number) => {
            if (x === 0) await gate.promise;
            return `${x}${suffix}`;
          },
          [0, 1],
          { maxConcurrency: 1 },
        ),
      { initialProps: { suffix: 'a' } },
    );
    await tick();
    const runs = created.runs.length;
    rerender({ suffix: 'b' });
    gate.resolve();
    await tick();
    expect(created.runs.length).toBe(runs);
    expect(result.current.status).toBe('success');
    expect(result.current.results).toEqual(['0a', '1b']);
  });

  it('shows attempts while an item retries, with status running', async () => {
    const fn = async (x: number, { attempt }: TaskContext) => {
      await sleep(10);
      if (x === 1 && attempt < 3) throw new Error(`flaky ${attempt}`);
      return x;
    };
    const { result } = renderHook(() => useMap(fn, [0, 1], { retries: 3, retryDelay: 100, jitter: 'none' }), {});
    await tick(16); // t=16: item 1's first attempt failed at t=10; the retry waits until t=110
    expect(result.current.status).toBe('running');
    expect(result.current.attempts).toEqual([1, 1]);
    expect(result.current.progress).toMatchObject({ done: 1, retrying: 1 });
    await tick(96); // t=112: the second attempt started at t=110
    expect(result.current.status).toBe('running');
    expect(result.current.attempts).toEqual([1, 2]);
    expect(result.current.progress).toMatchObject({ running: 1, retrying: 0 });
    await tick(16); // t=128: it failed at t=120; the third waits until t=320
    expect(result.current.progress).toMatchObject({ retrying: 1 });
    expect(result.current.status).toBe('running');
    await tick(224);
    expect(result.current).toMatchObject({ status: 'success', results: [0, 1], attempts: [1, 3] });
  });

  it('a failure ends the run with status error; finished results are kept, the rest cancelled', async () => {
    const boom = new Error('boom');
    const fn = async (ms: number, { signal }: TaskContext) => {
      await sleep(ms, signal);
      if (ms === 20) throw boom;
      return ms;
    };
    const { result } = renderHook(() => useMap(fn, [10, 20, 1000]));
    await tick(20);
    await tick();
    expect(result.current.status).toBe('error');
    expect(result.current.error).toBe(boom);
    expect(result.current.results[0]).toBe(10);
    expect(result.current.errors[1]).toBe(boom);
    expect(result.current.errors[2]).toBeInstanceOf(CancelledError);
  });

  it('with returnExceptions, a failure is kept per item and the other results too', async () => {
    const boom = new Error('boom');
    const fn = async (ms: number) => {
      await sleep(ms);
      if (ms === 20) throw boom;
      return ms;
    };
    const { result } = renderHook(() => useMap(fn, [10, 20, 30], { returnExceptions: true }));
    await tick(30);
    await tick();
    expect(result.current.status).toBe('success');
    expect(result.current.error).toBeUndefined();
    expect(result.current.results).toEqual([10, result.current.errors[1], 30]); // the error too, as core's map puts it
    expect(result.current.errors[1]).toBe(boom);
    expect(result.current.progress).toMatchObject({ done: 3, failed: 1 });
  });

  it('cancel() aborts the run; restart() runs it again', async () => {
    const signals: AbortSignal[] = [];
    let fail = true;
    const fn = async (x: number, { signal }: TaskContext) => {
      signals.push(signal);
      if (fail) return untilAborted(signal);
      return x;
    };
    const { result } = renderHook(() => useMap(fn, [1, 2]));
    await tick();
    act(() => result.current.cancel());
    await tick();
    expect(result.current.status).toBe('cancelled');
    expect(result.current.error).toBeInstanceOf(CancelledError);
    expect(signals.every((s) => s.aborted)).toBe(true);
    fail = false;
    act(() => result.current.restart());
    await tick();
    expect(result.current).toMatchObject({ status: 'success', results: [1, 2] });
    expect(signals).toHaveLength(4);
  });

  it('once cancelled, or ended by a failure, nothing counts as queued: items never pulled will not run', async () => {
    const fn = (x: number, { signal }: TaskContext) =>
      x === 3 ? sleep(5).then(() => Promise.reject(new Error('3'))) : untilAborted(signal);
    const items = Array.from({ length: 20 }, (_, i) => i);
    const cancelled = renderHook(() => useMap(fn, items, { maxConcurrency: 2 }));
    await tick();
    expect(cancelled.result.current.progress).toMatchObject({ total: 20, running: 2, queued: 18 });
    act(() => cancelled.result.current.cancel());
    await tick();
    expect(cancelled.result.current.status).toBe('cancelled');
    expect(cancelled.result.current.progress).toMatchObject({ total: 20, running: 0, queued: 0, retrying: 0 });
    const failed = renderHook(() => useMap(fn, items, { maxConcurrency: 4 }));
    await tick(5);
    await tick();
    expect(failed.result.current.status).toBe('error');
    expect(failed.result.current.progress).toMatchObject({ running: 0, queued: 0, retrying: 0 });
  });

  it('bad arguments fail at once, naming the parameter and the value', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderHook(() => useMap('nope' as never, [1]))).toThrow(
      new TypeError('fn must be a function, got "nope"'),
    );
    expect(() => renderHook(() => useMap(double, [1], null as never))).toThrow(
      new TypeError('options must be an options object, got null'),
    );
    expect(() => renderHook(() => useMap(double, [1], { enabled: 'no' as never }))).toThrow(
      new TypeError('enabled must be a boolean, got "no"'),
    );
    expect(() => renderHook(() => useMap(double, [1], { enabled: null as never }))).toThrow(TypeError);
    log.mockRestore();
  });

  it('enabled: false keeps the run idle until enabled', async () => {
    const fn = vi.fn((x: number) => x);
    const { result, rerender } = renderHook(({ enabled }) => useMap(fn, [1, 2], { enabled }), {
      initialProps: { enabled: false },
    });
    await tick();
    expect(result.current.status).toBe('idle');
    expect(result.current.progress).toMatchObject({ total: 2, done: 0 });
    expect(fn).not.toHaveBeenCalled();
    rerender({ enabled: true });
    await tick();
    expect(result.current).toMatchObject({ status: 'success', results: [1, 2] });
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("passes core's map options through: maxConcurrency, timeout, rateLimit, signal", async () => {
    let running = 0;
    let peak = 0;
    const starts: number[] = [];
    const fn = async (_: number, { signal }: TaskContext) => {
      starts.push(Date.now());
      peak = Math.max(peak, ++running);
      try {
        await sleep(50, signal);
      } finally {
        running--;
      }
      return 1;
    };
    const items = Array.from({ length: 8 }, (_, i) => i);
    const rateLimit = new RateLimiter({ limit: 4, interval: 1000 });
    const { result } = renderHook(() => useMap(fn, items, { maxConcurrency: 3, rateLimit }));
    await tick(100);
    expect(peak).toBe(3);
    expect(starts).toHaveLength(4); // the limiter admitted 4 in the first second
    await tick(2000);
    expect(result.current.status).toBe('success');
    expect(starts[4]).toBeGreaterThanOrEqual((starts[0] as number) + 1000);

    const timedOut = renderHook(() => useMap(fn, [1], { timeout: 10 }));
    await tick(20);
    expect(timedOut.result.current.status).toBe('error');
    expect(timedOut.result.current.error).toBeInstanceOf(TimeoutError);

    const controller = new AbortController();
    const aborted = renderHook(() => useMap(fn, [1, 2], { signal: controller.signal }));
    await tick();
    controller.abort();
    await tick();
    expect(aborted.result.current.status).toBe('cancelled');
  });

  it('`rateLimit` given as options holds across runs: new items and restart() share one bucket until the limits change', async () => {
    const starts: number[] = [];
    const fn = async (id: number) => {
      starts.push(Date.now());
      return id;
    };
    const page = (p: number) => Array.from({ length: 8 }, (_, i) => p * 100 + i);
    const { result, rerender } = renderHook(
      ({ ids, limit }: { ids: number[]; limit: number }) => useMap(fn, ids, { rateLimit: { limit, interval: 1000 } }),
      { initialProps: { ids: page(1), limit: 5 } },
    );
    await tick(50);
    rerender({ ids: page(2), limit: 5 }); // the next page: a new run
    await tick(50);
    act(() => result.current.restart());
    await tick(50);
    const t0 = starts[0] as number;
    expect(starts.filter((t) => t < t0 + 1000)).toHaveLength(5); // one bucket: 5 in the first second, not 15
    rerender({ ids: page(3), limit: 8 }); // other limits: a limiter of their own, full
    await tick(50);
    expect(starts.filter((t) => t < t0 + 1000)).toHaveLength(13);
  });

  it('1,000 tasks finishing in one tick cause a handful of renders, not 1,000', async () => {
    const gate = deferred();
    const items = Array.from({ length: 1000 }, (_, i) => i);
    let renders = 0;
    const { result } = renderHook(() => {
      renders++;
      return useMap(
        async (x: number) => {
          await gate.promise;
          return x;
        },
        items,
        { executor: { maxWorkers: Number.POSITIVE_INFINITY } },
      );
    });
    await tick();
    expect(result.current.progress.running).toBe(1000);
    const before = renders;
    gate.resolve();
    await tick(100);
    expect(result.current.status).toBe('success');
    expect(result.current.results).toHaveLength(1000);
    // StrictMode renders twice per commit: one frame's update is 2 renders.
    expect(renders - before).toBeLessThanOrEqual(2);
    expect(before).toBeLessThanOrEqual(8);
  });
});
