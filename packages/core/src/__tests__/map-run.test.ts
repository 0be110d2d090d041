import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AsyncExecutor, CancelledError, ExecutorShutdownError, MapRun } from '../index.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('MapRun', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('returnExceptions: results[i] is an Error around a thrown non-Error (errors[i] keeps the value itself)', async () => {
    const run = new MapRun(
      new AsyncExecutor(),
      (x: number) => {
        if (x === 1) throw 'bad input';
        return x;
      },
      [0, 1],
      { returnExceptions: true },
    );
    const resolved = await run.start();
    const { results, errors } = run.getSnapshot();
    expect(results[0]).toBe(0);
    expect(results[1]).toBeInstanceOf(Error);
    expect(resolved[1]).toBe(results[1]); // one Error for the failure, wherever it shows
    expect((results[1] as Error).cause).toBe('bad input');
    expect(errors[1]).toBe('bad input');
  });

  // (a review's repro: finish() ran in a then() of the promise start() returned, after the caller's continuation)
  it('MapRun: a subscriber unsubscribed after `await run.start()` has seen the run end (status success)', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const run = new MapRun(
      executor,
      async (ms: number) => {
        await sleep(ms);
        return ms;
      },
      [10, 20, 30],
    );
    const statuses: string[] = [];
    const off = run.subscribe(() => statuses.push(`${run.getSnapshot().status} ${run.getSnapshot().progress.done}`));
    const started = run.start().finally(off);
    await vi.advanceTimersByTimeAsync(200);
    await started;
    expect(statuses.at(-1)).toBe('success 3');
  });

  it('fills results[i] as item i finishes, keeps completion order, and counts progress', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const run = new MapRun(
      executor,
      async (ms: number) => {
        await sleep(ms);
        if (ms === 7) throw new Error('seven');
        return ms * 2;
      },
      [20, 5, 7, 3],
      { returnExceptions: true },
    );
    expect(run.getSnapshot().status).toBe('idle');
    expect(run.getSnapshot().progress.total).toBe(4);
    void run.start();
    expect(run.getSnapshot().status).toBe('running');
    expect(run.getSnapshot().progress).toMatchObject({ running: 2, queued: 2, done: 0 });
    await vi.advanceTimersByTimeAsync(5);
    const mid = run.getSnapshot();
    expect(mid.results[1]).toBe(10);
    expect(mid.results[0]).toBeUndefined();
    await vi.advanceTimersByTimeAsync(30);
    const s = run.getSnapshot();
    expect(s.status).toBe('success');
    // returnExceptions: the failure is in results[2] too, as map puts it
    expect(s.results).toEqual([40, 10, s.errors[2], 6]);
    expect((s.errors[2] as Error).message).toBe('seven');
    expect(s.completed.map((c) => c.index)).toEqual([1, 2, 3, 0]);
    expect(s.completed.map((c) => c.item)).toEqual([5, 7, 3, 20]);
    expect(s.progress).toMatchObject({ total: 4, done: 4, failed: 1, running: 0, queued: 0 });
    expect(executor.subscriberCount).toBe(0);
  });

  it('shows attempts and the retrying state while it runs', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const run = new MapRun(
      executor,
      async (x: number, { attempt }) => {
        if (attempt < 3) throw new Error('again');
        return x;
      },
      [1],
      { retries: 2, retryDelay: 100, jitter: 'none' },
    );
    void run.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(run.getSnapshot().attempts).toEqual([1]);
    expect(run.getSnapshot().states).toEqual(['retrying']);
    expect(run.getSnapshot().progress.retrying).toBe(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(run.getSnapshot()).toMatchObject({ status: 'success', results: [1], attempts: [3] });
  });

  it('the snapshot is the same object until something changes, and listeners hear of bursts once', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1000 });
    const run = new MapRun(
      executor,
      async (x: number) => x,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    let calls = 0;
    run.subscribe(() => calls++);
    const before = run.getSnapshot();
    expect(run.getSnapshot()).toBe(before);
    await run.start();
    await Promise.resolve();
    expect(calls).toBeLessThanOrEqual(3);
    const after = run.getSnapshot();
    expect(after).not.toBe(before);
    expect(run.getSnapshot()).toBe(after);
    expect(after.results).toHaveLength(1000);
  });

  it("stays the same object while only other tasks of its executor change (a shared pool's other callers)", async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const run = new MapRun(executor, (_: number, { signal }) => sleep(1_000).then(() => signal.aborted), [1]);
    void run.start();
    await vi.advanceTimersByTimeAsync(1);
    const mine = run.getSnapshot();
    expect(mine.progress.running).toBe(1);
    for (let k = 0; k < 5; k++) {
      executor.submit(() => sleep(5)); // queued, running, succeeded: none of them the run's
      await vi.advanceTimersByTimeAsync(10);
      expect(run.getSnapshot()).toBe(mine);
    }
    expect(executor.getSnapshot().succeeded).toBe(5);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(run.getSnapshot()).not.toBe(mine);
    expect(run.getSnapshot()).toMatchObject({ status: 'success', results: [false] });
  });
  it('the first failure ends the run as error; cancel() ends it as cancelled and aborts every signal', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const failing = new MapRun(
      executor,
      async (x: number) => {
        if (x === 1) throw new Error('one');
        await sleep(100);
        return x;
      },
      [0, 1, 2],
    );
    await expect(failing.start()).rejects.toThrow('one');
    expect(failing.getSnapshot()).toMatchObject({ status: 'error' });
    expect((failing.getSnapshot().error as Error).message).toBe('one');

    const signals: AbortSignal[] = [];
    const run = new MapRun(
      executor,
      (_item: object, { signal }) => {
        signals.push(signal);
        return new Promise(() => {});
      },
      [{}, {}, {}],
    );
    const done = run.start().catch((e: unknown) => e);
    run.cancel();
    expect(await done).toBeInstanceOf(CancelledError);
    expect(run.getSnapshot().status).toBe('cancelled');
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('a cancelled run counts nothing as queued: the items it never pulled will not run', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const run = new MapRun(
      executor,
      () => sleep(100),
      Array.from({ length: 10 }, (_, i) => i),
    );
    void run.start();
    expect(run.getSnapshot().progress).toMatchObject({ total: 10, running: 2, queued: 8 });
    run.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(run.getSnapshot().status).toBe('cancelled');
    expect(run.getSnapshot().progress).toMatchObject({ total: 10, running: 0, queued: 0, retrying: 0 });
  });

  it('a run that follows another keeps its rate limiter when the limits are the same (a restart starts no full bucket)', async () => {
    const executor = new AsyncExecutor();
    const starts: number[] = [];
    const fn = (x: number) => {
      starts.push(Date.now());
      return x;
    };
    const items = [1, 2, 3, 4];
    const first = new MapRun(executor, fn, items, { rateLimit: { limit: 3, interval: 1000 } });
    void first.start();
    first.cancel();
    const second = new MapRun(executor, fn, items, { rateLimit: { limit: 3, interval: 1000, burst: 3 } }, first);
    void second.start();
    expect(starts).toHaveLength(3); // the first run took all three tokens
    await vi.advanceTimersByTimeAsync(999);
    expect(starts).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(2000);
    expect(second.getSnapshot().status).toBe('success');
    const other = new MapRun(executor, fn, items, { rateLimit: { limit: 2, interval: 1000 } }, second);
    void other.start();
    expect(starts).toHaveLength(3 + 4 + 2); // other limits: a bucket of their own, full
    await vi.advanceTimersByTimeAsync(2000);
    expect(other.getSnapshot().status).toBe('success');
  });

  it('an array shortened after the start: a successful run counts as many items as ran', async () => {
    const items = [1, 2, 3, 4, 5, 6];
    const run = new MapRun(new AsyncExecutor({ maxWorkers: 1 }), (x: number) => sleep(1).then(() => x), items);
    void run.start();
    items.length = 2;
    await vi.advanceTimersByTimeAsync(10);
    expect(run.getSnapshot()).toMatchObject({ status: 'success', results: [1, 2], progress: { total: 2, done: 2 } });
  });

  it("a signal that is not an AbortSignal fails at start with core's message", () => {
    const run = new MapRun(new AsyncExecutor(), (x: number) => x, [1], { signal: {} as AbortSignal });
    expect(() => run.start()).toThrow(new TypeError('signal must be an AbortSignal, got an object'));
  });

  it('bad rateLimit options fail at construction, naming them', () => {
    expect(
      () => new MapRun(new AsyncExecutor(), (x: number) => x, [1], { rateLimit: { limit: 0, interval: 1000 } }),
    ).toThrow(RangeError);
    expect(() => new MapRun(new AsyncExecutor(), (x: number) => x, [1], { rateLimit: null as never })).toThrow(
      /rateLimit/,
    );
  });

  it('a function that is not one fails at construction, naming it', () => {
    expect(() => new MapRun(new AsyncExecutor(), 5 as never, [1])).toThrow(
      new TypeError('fn must be a function, got 5'),
    );
  });

  it('starting on a shut-down executor ends as error with ExecutorShutdownError', async () => {
    const executor = new AsyncExecutor();
    await executor.shutdown();
    const run = new MapRun(executor, (x: number) => x, [1]);
    await expect(run.start()).rejects.toBeInstanceOf(ExecutorShutdownError);
    expect(run.getSnapshot().status).toBe('error');
  });

  it('cancel() before start() sticks: start() runs nothing and returns the cancellation', async () => {
    const executor = new AsyncExecutor();
    const fn = vi.fn((x: number) => x);
    const run = new MapRun(executor, fn, [1, 2, 3]);
    run.cancel();
    expect(run.getSnapshot().status).toBe('cancelled');
    await expect(run.start()).rejects.toBeInstanceOf(CancelledError);
    expect(fn).not.toHaveBeenCalled();
    expect(run.getSnapshot()).toMatchObject({ status: 'cancelled', progress: { done: 0, queued: 0 } });
    expect(run.getSnapshot().error).toBeInstanceOf(CancelledError);
    expect(executor.getSnapshot().submitted).toBe(0);
  });

  it('options.signal cancels the run where the runtime has no AbortSignal.any, and an ended run leaves no listener on it', async () => {
    const any = AbortSignal.any;
    // @ts-expect-error a runtime without it (Safari before 17.4, Firefox before 124)
    delete AbortSignal.any;
    try {
      const executor = new AsyncExecutor();
      const controller = new AbortController();
      const aborted = new MapRun(executor, (_: number, { signal }) => sleep(1_000).then(() => signal.aborted), [1, 2], {
        signal: controller.signal,
      });
      const started = aborted.start();
      controller.abort(new Error('left the page'));
      await expect(started).rejects.toBeInstanceOf(CancelledError);
      expect(aborted.getSnapshot().status).toBe('cancelled');

      const kept = new AbortController();
      const done = new MapRun(executor, (x: number) => x * 2, [1, 2], { signal: kept.signal });
      await expect(done.start()).resolves.toEqual([2, 4]);
      expect(getEventListeners(kept.signal, 'abort')).toHaveLength(0);
    } finally {
      AbortSignal.any = any;
    }
  });

  it('a run refused at start (bad options, items not iterable) leaves no listener on options.signal', () => {
    // useMap with an app-wide signal and `items` still undefined: the error goes to an error boundary,
    // and a listener left on the signal would hold the run (and the component's closures) for its life.
    const executor = new AsyncExecutor();
    const app = new AbortController();
    const badOptions = new MapRun(executor, (x: number) => x, [1], { signal: app.signal, maxConcurrency: 0 });
    expect(() => badOptions.start()).toThrow(/maxConcurrency/);
    const badItems = new MapRun(executor, (x: number) => x, undefined as unknown as number[], { signal: app.signal });
    expect(() => badItems.start()).toThrow(TypeError);
    expect(getEventListeners(app.signal, 'abort')).toHaveLength(0);
    expect(executor.getSnapshot().submitted).toBe(0);
  });
});
