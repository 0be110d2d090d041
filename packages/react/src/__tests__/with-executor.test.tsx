import { AsyncExecutor, RateLimiter, type TaskContext } from '@fanout/core';
import {
  notifyManager,
  QueryClient,
  QueryClientProvider,
  useQueries,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useMap } from '../use-map.js';
import { withExecutor } from '../with-executor.js';
import { flush, sleep, tick, untilAborted } from './test-utils.js';

// Query's own batched notifications reach React inside `act` too.
notifyManager.setNotifyFunction((fn) => {
  act(fn);
});

let client: QueryClient;
const wrapper = ({ children }: { children?: ReactNode }) => (
  <QueryClientProvider client={client}>{children}</QueryClientProvider>
);
const ids = Array.from({ length: 100 }, (_, i) => i);
// Under StrictMode, Query cancels each first fetch on the simulated unmount
// (the queryFn consumed `signal`) and fetches again: the first test keeps
// StrictMode; the tests that count exact starts and cancellations opt out.
const exact = { wrapper, reactStrictMode: false };

beforeEach(() => {
  vi.useFakeTimers();
  client = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Number.POSITIVE_INFINITY } } });
});
afterEach(() => {
  client.clear();
  vi.useRealTimers();
});

describe('withExecutor (TanStack Query)', () => {
  it('useQueries over 100 queries never runs more than maxWorkers query functions at once', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    let running = 0;
    let peak = 0;
    const { result } = renderHook(
      () =>
        useQueries({
          queries: ids.map((id) => ({
            queryKey: ['item', id],
            queryFn: withExecutor(executor, async ({ queryKey, signal }) => {
              peak = Math.max(peak, ++running);
              try {
                await sleep(10, signal);
              } finally {
                running--;
              }
              return { id: queryKey[1] };
            }),
          })),
        }),
      { wrapper },
    );
    await tick(0);
    expect(running).toBe(5);
    expect(executor.getSnapshot()).toMatchObject({ running: 5, queued: 95 });
    await tick(250);
    expect(result.current.every((q) => q.isSuccess)).toBe(true);
    expect(result.current.map((q) => q.data?.id)).toEqual(ids);
    expect(peak).toBe(5);
    expect(executor.getSnapshot()).toMatchObject({ succeeded: 100, running: 0, queued: 0 });
  });

  it("honours the executor's rate limit (a shared RateLimiter)", async () => {
    const limiter = new RateLimiter({ limit: 10, interval: 1000 });
    const executor = new AsyncExecutor({ maxWorkers: 100, rateLimit: limiter });
    const starts: number[] = [];
    const t0 = Date.now();
    const { result } = renderHook(
      () =>
        useQueries({
          queries: ids.map((id) => ({
            queryKey: ['limited', id],
            queryFn: withExecutor(executor, () => {
              starts.push(Date.now() - t0);
              return id;
            }),
          })),
        }),
      exact,
    );
    await tick(0);
    expect(starts).toHaveLength(10);
    await tick(999);
    expect(starts).toHaveLength(10);
    await tick(1);
    expect(starts).toHaveLength(20);
    await tick(8000);
    expect(starts).toHaveLength(100);
    for (let i = 10; i < starts.length; i++) {
      expect((starts[i] as number) - (starts[i - 10] as number)).toBeGreaterThanOrEqual(1000);
    }
    await tick(16);
    expect(result.current.every((q) => q.isSuccess)).toBe(true);
  });

  it("queryClient.cancelQueries() aborts the task's signal and frees its slot", async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const signals: AbortSignal[] = [];
    const slow = withExecutor(executor, (_ctx, { signal }: TaskContext) => {
      signals.push(signal);
      return untilAborted(signal);
    });
    renderHook(
      () => useQueries({ queries: [1, 2, 3].map((id) => ({ queryKey: ['slow', id], queryFn: slow })) }),
      exact,
    );
    await tick(0);
    expect(executor.getSnapshot()).toMatchObject({ running: 2, queued: 1 });
    await act(() => client.cancelQueries());
    await flush();
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(executor.getSnapshot()).toMatchObject({ running: 0, queued: 0, cancelled: 3 });
    expect(executor.getSnapshot().workers.every((w) => w.taskId === undefined)).toBe(true);
    const next = executor.submit(() => sleep(5).then(() => 'ran'));
    expect(next.state).toBe('running'); // a slot was free at once
    await tick(5);
    expect(await next).toBe('ran');
  });

  it("unmount aborts the task's signal and frees its slot", async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const signals: AbortSignal[] = [];
    const { unmount } = renderHook(
      () =>
        useQuery({
          queryKey: ['unmount'],
          queryFn: withExecutor(executor, ({ signal }) => {
            signals.push(signal);
            return untilAborted(signal);
          }),
        }),
      exact,
    );
    await tick(0);
    expect(executor.getSnapshot().running).toBe(1);
    unmount();
    await flush();
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(executor.getSnapshot()).toMatchObject({ running: 0, cancelled: 1 });
  });

  it('passes task options and the task context through', async () => {
    const executor = new AsyncExecutor();
    const seen: { name: string | undefined; attempt: number; workerId: number }[] = [];
    executor.onEvent((e) => {
      if (e.type === 'started') seen.push({ name: e.name, attempt: e.attempt, workerId: e.workerId ?? -1 });
    });
    const { result } = renderHook(
      () =>
        useQuery({
          queryKey: ['named'],
          queryFn: withExecutor(executor, (_ctx, task) => task.attempt, { name: 'named query' }),
        }),
      exact,
    );
    await tick(16);
    expect(result.current.data).toBe(1);
    expect(seen).toEqual([{ name: 'named query', attempt: 1, workerId: 0 }]);
  });
});

function useUsers(ids: number[], fetchUser: (id: number, signal: AbortSignal) => Promise<{ id: number }>) {
  const queryClient = useQueryClient();
  // Each item goes through the cache by key: cached ones resolve at once, without a request. The fetch
  // gets Query's signal: Query shares it with every caller of the key (the README's recipe).
  return useMap(
    (id: number) =>
      queryClient.ensureQueryData({ queryKey: ['user', id], queryFn: ({ signal }) => fetchUser(id, signal) }),
    ids,
    { maxConcurrency: 2 },
  );
}

describe('withExecutor: bad arguments', () => {
  it('fail when it is called, not at the first fetch', () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const queryFn = () => 1;
    expect(() => withExecutor({} as never, queryFn)).toThrow(
      new TypeError('executor must be an AsyncExecutor, got an object'),
    );
    expect(() => withExecutor(executor, 'x' as never)).toThrow(new TypeError('queryFn must be a function, got "x"'));
    expect(() => withExecutor(executor, queryFn, { retries: -1 })).toThrow(RangeError);
    expect(() => withExecutor(executor, queryFn, { retrys: 1 } as never)).toThrow(/unknown option "retrys"/);
    // task options, not map options: a map's maxConcurrency would fail every fetch
    expect(() => withExecutor(executor, queryFn, { maxConcurrency: 2 } as never)).toThrow(
      /unknown option "maxConcurrency"/,
    );
    expect(executor.getSnapshot().submitted).toBe(0);
  });
});

describe('useMap + the Query cache', () => {
  /** A fetch of user `id` that takes `ms` (on the fake clock) and records which ids went to the network. */
  function userFetcher(ms: number) {
    const fetched: number[] = [];
    const fetchUser = async (id: number, signal: AbortSignal) => {
      fetched.push(id);
      await sleep(ms, signal);
      return { id };
    };
    return { fetched, fetchUser };
  }

  it('caches results by key, so a remount does not refetch', async () => {
    const { fetched, fetchUser } = userFetcher(10);
    const first = renderHook(() => useUsers([1, 2, 3], fetchUser), { wrapper });
    await tick(48);
    expect(first.result.current).toMatchObject({ status: 'success', results: [{ id: 1 }, { id: 2 }, { id: 3 }] });
    first.unmount();
    await flush();
    const second = renderHook(() => useUsers([1, 2, 3, 4], fetchUser), { wrapper });
    await tick(32);
    expect(second.result.current).toMatchObject({
      status: 'success',
      results: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
    });
    expect(fetched).toEqual([1, 2, 3, 4]);
  });

  it("two components share one fetch per key; the first one's unmount does not fail the other's items", async () => {
    const { fetched, fetchUser } = userFetcher(100);
    const a = renderHook(() => useUsers([1, 2], fetchUser), exact);
    await tick();
    const b = renderHook(() => useUsers([1, 2], fetchUser), exact); // Query gives B the fetches A started
    await tick();
    a.unmount();
    await flush();
    await tick(200);
    expect(b.result.current).toMatchObject({ status: 'success', results: [{ id: 1 }, { id: 2 }] });
    expect(fetched).toEqual([1, 2]);
  });
});
