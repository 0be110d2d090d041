/**
 * The one-shot utilities (SPEC "Utilities"; issue 3 "Utilities"), on fake timers.
 * Ports: lionfuncs tests/test_async_utils.py (throttle timing, batch_process
 * ordering / per-batch callback / return_exceptions, retry call counts with
 * the original error, gather_with_concurrency cap, timeout_context cleanup);
 * pyferris async_parallel_map / async_parallel_filter.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  batchProcess,
  CancelledError,
  gatherWithConcurrency,
  parallelFilter,
  parallelMap,
  RateLimiter,
  retry,
  TimeoutError,
  throttle,
  withTimeout,
} from '../index.js';
import { Gauge, outcomeBox, sleep, useFakeTimers } from './test-utils.js';

async function* asyncRange(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

useFakeTimers({ now: 0 });

describe('parallelMap', () => {
  it('keeps input order whatever the finishing order, never more than maxConcurrent at once', async () => {
    const g = new Gauge();
    const delays = [50, 10, 40, 5, 30, 20, 1, 45, 15, 25];
    const p = parallelMap((ms: number) => g.run(() => sleep(ms).then(() => ms * 2)), delays, { maxConcurrent: 3 });
    await vi.runAllTimersAsync();
    expect(await p).toEqual(delays.map((d) => d * 2));
    expect(g.peak).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('defaults to 10 at once', async () => {
    const g = new Gauge();
    const p = parallelMap(
      (i: number) => g.run(() => sleep(10).then(() => i)),
      Array.from({ length: 25 }, (_, i) => i),
    );
    await vi.runAllTimersAsync();
    expect((await p).length).toBe(25);
    expect(g.peak).toBe(10);
  });

  it('takes async iterables, and the item’s context', async () => {
    const seen: number[] = [];
    const p = parallelMap(
      (i: number, ctx) => {
        expect(ctx.signal).toBeInstanceOf(AbortSignal);
        seen.push(ctx.attempt);
        return i + 1;
      },
      asyncRange(5),
      { maxConcurrent: 2 },
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual([1, 2, 3, 4, 5]);
    expect(seen).toEqual([1, 1, 1, 1, 1]);
  });

  it('rejects with the first failure and aborts the rest; returnExceptions keeps going', async () => {
    const boom = new Error('boom');
    const aborted: number[] = [];
    const fn = async (i: number, { signal }: { signal: AbortSignal }) => {
      signal.addEventListener('abort', () => aborted.push(i));
      await sleep(i === 1 ? 5 : 100);
      if (i === 1) throw boom;
      return i;
    };
    const failing = outcomeBox(parallelMap(fn, [0, 1, 2], { maxConcurrent: 3 }));
    await vi.runAllTimersAsync();
    expect(failing.current).toEqual({ ok: false, error: boom });
    expect(aborted.sort()).toEqual([0, 2]);

    const all = parallelMap(fn, [0, 1, 2], { maxConcurrent: 3, returnExceptions: true });
    await vi.runAllTimersAsync();
    expect(await all).toEqual([0, boom, 2]);
  });

  it('passes task options to every item (retries)', async () => {
    const calls = new Map<number, number>();
    const p = parallelMap(
      (i: number, { attempt }) => {
        calls.set(i, attempt);
        if (attempt < 3) throw new Error('flaky');
        return i;
      },
      [0, 1],
      { retries: 2, retryDelay: 10, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual([0, 1]);
    expect([...calls]).toEqual([
      [0, 3],
      [1, 3],
    ]);
  });
});

describe('parallelFilter', () => {
  it('keeps the items whose predicate holds, in input order, at most maxConcurrent at once', async () => {
    const g = new Gauge();
    const items = [9, 2, 7, 4, 5, 6, 3, 8, 1];
    const p = parallelFilter((x: number) => g.run(() => sleep(10 * x).then(() => x % 2 === 0)), items, {
      maxConcurrent: 2,
    });
    await vi.runAllTimersAsync();
    expect(await p).toEqual([2, 4, 6, 8]);
    expect(g.peak).toBe(2);
  });

  it('treats truthy and falsy results as keep / drop', async () => {
    const p = parallelFilter((x: string) => x.length, ['', 'a', '', 'bc']);
    await vi.runAllTimersAsync();
    expect(await p).toEqual(['a', 'bc']);
  });
});

describe('gatherWithConcurrency', () => {
  it('runs at most n thunks at once, results in input order', async () => {
    // lionfuncs test_gather_with_concurrency: the cap holds
    const g = new Gauge();
    const thunks = [30, 10, 20, 5, 25, 15].map((ms) => () => g.run(() => sleep(ms).then(() => ms)));
    const p = gatherWithConcurrency(2, thunks);
    await vi.runAllTimersAsync();
    expect(await p).toEqual([30, 10, 20, 5, 25, 15]);
    expect(g.peak).toBe(2);
  });

  it('accepts thunks returning plain values', async () => {
    const p = gatherWithConcurrency<number | string>(3, [() => 1, () => 'two', () => Promise.resolve(3)]);
    await vi.runAllTimersAsync();
    expect(await p).toEqual([1, 'two', 3]);
  });

  it('rejects with a thunk’s error, or puts it in the results with returnExceptions', async () => {
    const boom = new Error('boom');
    const thunks = [() => sleep(10).then(() => 'a'), () => Promise.reject(boom), () => 'c'];
    const rejected = outcomeBox(gatherWithConcurrency(2, thunks));
    await vi.runAllTimersAsync();
    expect(rejected.current).toEqual({ ok: false, error: boom });
    const kept = gatherWithConcurrency(2, thunks, { returnExceptions: true });
    await vi.runAllTimersAsync();
    expect(await kept).toEqual(['a', boom, 'c']);
  });

  it('checks every thunk before running any: a bad one rejects at once, naming its place', async () => {
    let ran = 0;
    const p = gatherWithConcurrency(1, [() => ++ran, 'x' as never, () => ++ran], { returnExceptions: true });
    await expect(p).rejects.toThrow(new TypeError('thunks[1] must be a function, got "x"'));
    expect(ran).toBe(0);
    await expect(gatherWithConcurrency(2, 5 as never)).rejects.toThrow(
      new TypeError('thunks must be an iterable of functions, got 5'),
    );
  });

  it('calls each thunk exactly once', async () => {
    const counts = [0, 0, 0, 0];
    const p = gatherWithConcurrency(
      2,
      counts.map((_, i) => () => {
        counts[i] = (counts[i] as number) + 1;
        return i;
      }),
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual([0, 1, 2, 3]);
    expect(counts).toEqual([1, 1, 1, 1]);
  });
});

describe('retry', () => {
  it('an attempt that timed out but ignores its signal does not hold the next one back', async () => {
    const starts: number[] = [];
    const p = retry(
      () => {
        starts.push(Date.now());
        return new Promise<never>(() => {}); // never settles, ignores its signal
      },
      { retries: 1, timeout: 100, retryDelay: 0, jitter: 'none' },
    );
    const settled = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(starts).toHaveLength(2); // before: one attempt, and a promise that never settled
    expect(starts[1]).toBeGreaterThanOrEqual(100);
    expect(starts[1]).toBeLessThanOrEqual(101); // the timeout, then a 0 ms retry delay
    expect(await settled).toBeInstanceOf(TimeoutError);
  });

  it('calls until success: 2 failures then success → 3 calls', async () => {
    // lionfuncs test_retry_success_after_failures
    let calls = 0;
    const p = retry(
      ({ attempt }) => {
        calls++;
        if (attempt < 3) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      { retries: 3, retryDelay: 10 },
    );
    await vi.runAllTimersAsync();
    expect(await p).toBe('ok');
    expect(calls).toBe(3);
  });

  it('gives up after retries + 1 calls and rejects with the last call’s own error (no wrapper)', async () => {
    // lionfuncs test_retry_max_attempts: the original exception type is raised
    const errors: Error[] = [];
    const p = outcomeBox(
      retry(
        () => {
          const e = new TypeError(`call ${errors.length + 1}`);
          errors.push(e);
          throw e;
        },
        { retries: 2, retryDelay: 10, jitter: 'none' },
      ),
    );
    await vi.runAllTimersAsync();
    expect(errors).toHaveLength(3);
    expect(p.current).toEqual({ ok: false, error: errors[2] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits retryDelay × backoff between calls', async () => {
    const times: number[] = [];
    const p = outcomeBox(
      retry(
        () => {
          times.push(Date.now());
          throw new Error('x');
        },
        { retries: 3, retryDelay: 100, backoff: 2, jitter: 'none' },
      ),
    );
    await vi.runAllTimersAsync();
    expect(times).toEqual([0, 100, 300, 700]);
    expect(p.current?.ok).toBe(false);
  });

  it('without options calls once', async () => {
    let calls = 0;
    const boom = new Error('once');
    const p = outcomeBox(
      retry(() => {
        calls++;
        throw boom;
      }),
    );
    await vi.runAllTimersAsync();
    expect(calls).toBe(1);
    expect(p.current).toEqual({ ok: false, error: boom });
  });

  it('honours retryIf and a per-attempt timeout', async () => {
    let calls = 0;
    const p = outcomeBox(
      retry(
        () => {
          calls++;
          throw new RangeError('permanent');
        },
        { retries: 5, retryIf: (e) => !(e instanceof RangeError) },
      ),
    );
    await vi.runAllTimersAsync();
    expect(calls).toBe(1);
    expect(p.current?.ok === false && p.current.error).toBeInstanceOf(RangeError);

    const timed = retry(
      async ({ signal, attempt }) => {
        if (attempt === 1) {
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        }
        return attempt;
      },
      { retries: 1, timeout: 50, retryDelay: 0 },
    );
    await vi.runAllTimersAsync();
    expect(await timed).toBe(2);
  });

  it('its signal cancels it', async () => {
    const controller = new AbortController();
    let calls = 0;
    const p = outcomeBox(
      retry(
        () => {
          calls++;
          throw new Error('x');
        },
        { retries: 10, retryDelay: 1000, jitter: 'none', signal: controller.signal },
      ),
    );
    await vi.advanceTimersByTimeAsync(1500);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(p.current?.ok === false && p.current.error).toBeInstanceOf(CancelledError);
    expect(calls).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('retry and withTimeout with one signal shared by many calls', () => {
  it('add one abort listener to it in all, not one per call, and none once they are done', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const calls = [
      ...Array.from({ length: 20 }, () => withTimeout(() => sleep(20), 1000, { signal })),
      ...Array.from({ length: 20 }, () => retry(() => sleep(20), { signal })),
    ];
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20);
    await Promise.all(calls);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    // …and that one listener still cancels every call
    const late = [withTimeout(() => sleep(20), 1000, { signal }), retry(() => sleep(20), { signal })];
    controller.abort(new Error('left the page'));
    for (const call of late) await expect(call).rejects.toBeInstanceOf(CancelledError);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('withTimeout', () => {
  it('passes a rejection through as it came, undefined and null included (as retry and Promise.race do)', async () => {
    const reason = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => e,
      );
    expect(await reason(withTimeout(Promise.reject(undefined), 100))).toBeUndefined();
    expect(await reason(withTimeout(() => Promise.reject(null), 100))).toBeNull();
    expect(
      await reason(
        withTimeout(() => {
          throw undefined;
        }, 100),
      ),
    ).toBeUndefined();
    expect(await reason(retry(() => Promise.reject(null)))).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses an unknown option', async () => {
    await expect(withTimeout(Promise.resolve(1), 10, { onTimeout: () => {} } as never)).rejects.toThrow(
      new TypeError('options has an unknown option "onTimeout"'),
    );
  });

  it('resolves with the value of a promise or a function that beats the deadline', async () => {
    const a = withTimeout(
      sleep(10).then(() => 'a'),
      100,
    );
    const b = withTimeout(async (signal) => {
      await sleep(10);
      return signal.aborted ? 'aborted' : 'b';
    }, 100);
    const c = withTimeout(() => 'sync', 100);
    await vi.advanceTimersByTimeAsync(10);
    expect(await Promise.all([a, b, c])).toEqual(['a', 'b', 'sync']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with TimeoutError at the deadline, aborts the function’s signal, and leaves no timer', async () => {
    let signal: AbortSignal | undefined;
    const p = outcomeBox(
      withTimeout((s) => {
        signal = s;
        return sleep(1000).then(() => 'late');
      }, 100),
    );
    await vi.advanceTimersByTimeAsync(99);
    expect(p.current).toBeUndefined();
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.current?.ok === false && p.current.error).toBeInstanceOf(TimeoutError);
    expect(p.current?.ok === false ? (p.current.error as Error).message : undefined).toBe('timed out after 100 ms');
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(p.current?.ok === false && p.current.error);
    await vi.advanceTimersByTimeAsync(900); // the late value is ignored
    expect(p.current?.ok).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('runs cleanup once on timeout, never on success or failure', async () => {
    // lionfuncs timeout_context: cleanup on timeout
    const cleanup = vi.fn();
    outcomeBox(withTimeout(sleep(500), 100, { cleanup }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(cleanup).toHaveBeenCalledTimes(1);

    const notOnSuccess = vi.fn();
    await Promise.all([
      withTimeout(Promise.resolve(1), 100, { cleanup: notOnSuccess }),
      vi.advanceTimersByTimeAsync(200),
    ]);
    const notOnFailure = vi.fn();
    const failed = outcomeBox(withTimeout(Promise.reject(new Error('x')), 100, { cleanup: notOnFailure }));
    await vi.advanceTimersByTimeAsync(200);
    expect(failed.current?.ok).toBe(false);
    expect(notOnSuccess).not.toHaveBeenCalled();
    expect(notOnFailure).not.toHaveBeenCalled();
  });

  it('a cleanup that fails (async or at once) is reported, as a throwing callback is, not an unhandled rejection', async () => {
    const reported: unknown[] = [];
    const g = globalThis as { reportError?: (e: unknown) => void };
    const before = g.reportError;
    g.reportError = (e) => reported.push(e);
    try {
      const failing = new Error('cleanup failed');
      const throwing = new Error('cleanup threw');
      const p = outcomeBox(withTimeout(sleep(500), 100, { cleanup: () => Promise.reject(failing) }));
      const q = outcomeBox(
        withTimeout(sleep(500), 100, {
          cleanup: () => {
            throw throwing;
          },
        }),
      );
      await vi.advanceTimersByTimeAsync(500);
      expect(p.current?.ok === false && p.current.error).toBeInstanceOf(TimeoutError);
      expect(q.current?.ok === false && q.current.error).toBeInstanceOf(TimeoutError);
      expect(new Set(reported)).toEqual(new Set([throwing, failing]));
      expect(reported).toHaveLength(2);
    } finally {
      if (before === undefined) delete g.reportError;
      else g.reportError = before;
    }
  });

  it('its signal rejects with CancelledError, aborts the function’s signal, skips cleanup', async () => {
    const controller = new AbortController();
    const cleanup = vi.fn();
    let inner: AbortSignal | undefined;
    const p = outcomeBox(
      withTimeout(
        (s) => {
          inner = s;
          return sleep(1000);
        },
        500,
        { signal: controller.signal, cleanup },
      ),
    );
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error('user left'));
    await vi.advanceTimersByTimeAsync(0);
    expect(p.current?.ok === false && p.current.error).toBeInstanceOf(CancelledError);
    expect(inner?.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(1); // only the function's own sleep
    await vi.advanceTimersByTimeAsync(1000);
    expect(cleanup).not.toHaveBeenCalled();

    const pre = new AbortController();
    pre.abort();
    let called = false;
    await expect(
      withTimeout(
        () => {
          called = true;
        },
        10,
        { signal: pre.signal },
      ),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(called).toBe(false);
  });

  it('removes its abort listener from the caller’s signal on every outcome', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    await withTimeout(Promise.resolve(1), 100, { signal });
    outcomeBox(withTimeout(sleep(500), 100, { signal }));
    outcomeBox(withTimeout(Promise.reject(new Error('x')), 100, { signal }));
    await vi.advanceTimersByTimeAsync(500);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('a function that throws synchronously rejects with that error and clears the timer', async () => {
    const boom = new Error('sync');
    await expect(
      withTimeout(() => {
        throw boom;
      }, 100),
    ).rejects.toBe(boom);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('throttle', () => {
  it('rate 2 per second: 4 calls take at least 1 s of (fake) time', async () => {
    // lionfuncs test_throttle: rate_limit=2, 4 calls
    const times: number[] = [];
    const fn = throttle(
      (x: number) => {
        times.push(Date.now());
        return x * 2;
      },
      { limit: 2, interval: 1000 },
    );
    const all = Promise.all([1, 2, 3, 4].map((x) => fn(x)));
    await vi.advanceTimersByTimeAsync(999);
    expect(times).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await all).toEqual([2, 4, 6, 8]);
    expect(times).toEqual([0, 0, 1000, 1000]);
    expect(Date.now()).toBeGreaterThanOrEqual(1000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('queues every call (none dropped), FIFO, each caller gets its own result or error', async () => {
    const order: number[] = [];
    const fn = throttle(
      async (x: number) => {
        order.push(x);
        await sleep(5);
        if (x === 3) throw new Error('three');
        return `r${x}`;
      },
      { limit: 3, interval: 100 },
    );
    const results = Array.from({ length: 10 }, (_, i) => outcomeBox(fn(i)));
    await vi.runAllTimersAsync();
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    results.forEach((r, i) => {
      if (i === 3) expect(r.current?.ok === false && (r.current.error as Error).message).toBe('three');
      else expect(r.current).toEqual({ ok: true, value: `r${i}` });
    });
  });

  it('never starts more than limit per interval', async () => {
    const times: number[] = [];
    const fn = throttle(() => void times.push(Date.now()), { limit: 3, interval: 250 });
    const all = Promise.all(Array.from({ length: 20 }, () => fn()));
    await vi.runAllTimersAsync();
    await all;
    for (const t of times) expect(times.filter((u) => u > t - 250 && u <= t).length).toBeLessThanOrEqual(3);
    expect(times.length).toBe(20);
  });

  it('passes `this` on, so a throttled method is still a method', async () => {
    const api = {
      base: '/api',
      get: throttle(
        function (this: { base: string }, path: string) {
          return `${this.base}${path}`;
        },
        { limit: 1, interval: 100 },
      ),
    };
    const all = Promise.all([api.get('/a'), api.get('/b')]);
    await vi.runAllTimersAsync();
    expect(await all).toEqual(['/api/a', '/api/b']);
  });

  it('a shared RateLimiter throttles two functions together', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 100 });
    const log: string[] = [];
    const a = throttle(() => void log.push(`a@${Date.now()}`), limiter);
    const b = throttle(() => void log.push(`b@${Date.now()}`), limiter);
    const all = Promise.all([a(), b(), a()]);
    await vi.runAllTimersAsync();
    await all;
    expect(log).toEqual(['a@0', 'b@100', 'a@200']);
  });
});

describe('batchProcess', () => {
  it('one rate limit and one progress count for the whole call, not one per batch', async () => {
    const starts: number[] = [];
    const progress: unknown[] = [];
    const done = batchProcess(
      [1, 2, 3, 4, 5, 6],
      (x: number) => {
        starts.push(Date.now());
        if (x === 4) throw new Error('four');
        return x;
      },
      {
        batchSize: 2,
        rateLimit: { limit: 2, interval: 1000 },
        returnExceptions: true,
        onProgress: (p) => progress.push(p),
      },
    );
    await vi.runAllTimersAsync();
    expect((await done).map((r) => (r instanceof Error ? r.message : r))).toEqual([1, 2, 3, 'four', 5, 6]);
    expect(starts).toEqual([0, 0, 1000, 1000, 2000, 2000]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6].map((n) => ({ done: n, failed: n >= 4 ? 1 : 0, total: 6 })));
  });

  it('rejects bad map options before any item is pulled, even with no items', async () => {
    let pulled = 0;
    async function* slow() {
      pulled++;
      await sleep(1000);
      yield 1;
    }
    const processor = async (x: number) => x;
    await expect(batchProcess([], processor, { retries: -1 })).rejects.toThrow(RangeError);
    await expect(batchProcess([], processor, { bogus: 1 } as never)).rejects.toThrow(TypeError);
    await expect(batchProcess(5 as never, processor)).rejects.toThrow(
      new TypeError('items must be an iterable or an async iterable, got 5'),
    );
    const late = batchProcess(slow(), processor, { retries: -1 });
    await expect(late).rejects.toThrow(/retries/);
    expect(pulled).toBe(0);
  });

  it("an item's messages count it across batches (item 4 of the input, not item 1 of its batch)", async () => {
    const results = batchProcess(
      [10, 10, 10, 10, 0],
      (ms: number) => new Promise<void>((resolve) => ms > 0 && setTimeout(resolve, ms)), // 0: never settles
      { batchSize: 3, timeout: 50, returnExceptions: true },
    );
    await vi.runAllTimersAsync();
    const last = (await results)[4];
    expect(last).toBeInstanceOf(TimeoutError);
    expect((last as TimeoutError).message).toMatch(/^task #\d+ \(item 4\) timed out after 50 ms/);
  });

  it('returns results in input order and calls onBatchComplete(results, index) once per batch, in order', async () => {
    // lionfuncs test_batch_process: ordering and per-batch callback
    const calls: [number[], number, number][] = [];
    const p = batchProcess(
      [1, 2, 3, 4, 5, 6, 7],
      async (x: number) => {
        await sleep(10 * (8 - x)); // later items finish first
        return x * 10;
      },
      {
        batchSize: 3,
        onBatchComplete: (results, index) => {
          calls.push([results as number[], index, Date.now()]);
        },
      },
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(calls.map(([r, i]) => [r, i])).toEqual([
      [[10, 20, 30], 0],
      [[40, 50, 60], 1],
      [[70], 2],
    ]);
    // batches run one after another: 70 ms, then 40 ms, then 10 ms
    expect(calls.map(([, , t]) => t)).toEqual([70, 110, 120]);
  });

  it('never runs more than maxConcurrent items at once, nor items of two batches together', async () => {
    const g = new Gauge();
    const batchOf = new Map<number, number>();
    const running = new Set<number>();
    const mixed: number[][] = [];
    const p = batchProcess(
      Array.from({ length: 20 }, (_, i) => i),
      (x: number) =>
        g.run(async () => {
          running.add(x);
          const batches = new Set([...running].map((y) => Math.floor(y / 8)));
          if (batches.size > 1) mixed.push([...running]);
          batchOf.set(x, Math.floor(x / 8));
          await sleep(5 + (x % 3));
          running.delete(x);
          return x;
        }),
      { batchSize: 8, maxConcurrent: 3 },
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(g.peak).toBe(3);
    expect(mixed).toEqual([]);
  });

  it('an async onBatchComplete is awaited before the next batch starts', async () => {
    const log: string[] = [];
    const p = batchProcess([1, 2, 3, 4], (x: number) => void log.push(`item ${x}`), {
      batchSize: 2,
      onBatchComplete: async (_results, index) => {
        await sleep(100);
        log.push(`batch ${index} done`);
      },
    });
    await vi.runAllTimersAsync();
    await p;
    expect(log).toEqual(['item 1', 'item 2', 'batch 0 done', 'item 3', 'item 4', 'batch 1 done']);
  });

  it('retries failed items (retries, retryDelay)', async () => {
    const attempts = new Map<number, number>();
    const p = batchProcess(
      [1, 2, 3],
      (x: number, { attempt }) => {
        attempts.set(x, attempt);
        if (x === 2 && attempt < 3) throw new Error('flaky');
        return x;
      },
      { batchSize: 2, retries: 2, retryDelay: 50 },
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual([1, 2, 3]);
    expect([...attempts]).toEqual([
      [1, 1],
      [2, 3],
      [3, 1],
    ]);
  });

  it('rejects with a failed item’s error; with returnExceptions the error takes its place', async () => {
    const boom = new Error('bad item');
    const processor = (x: number) => {
      if (x === 2) throw boom;
      return x;
    };
    const onBatchComplete = vi.fn();
    const rejected = outcomeBox(batchProcess([1, 2, 3], processor, { batchSize: 2, onBatchComplete }));
    await vi.runAllTimersAsync();
    expect(rejected.current).toEqual({ ok: false, error: boom });
    expect(onBatchComplete).not.toHaveBeenCalled();

    const kept = batchProcess([1, 2, 3], processor, { batchSize: 2, returnExceptions: true, onBatchComplete });
    await vi.runAllTimersAsync();
    expect(await kept).toEqual([1, boom, 3]);
    expect(onBatchComplete.mock.calls).toEqual([
      [[1, boom], 0],
      [[3], 1],
    ]);
  });

  it('takes async iterables and an empty input', async () => {
    const p = batchProcess(asyncRange(5), (x: number) => x * x, { batchSize: 2 });
    await vi.runAllTimersAsync();
    expect(await p).toEqual([0, 1, 4, 9, 16]);
    const onBatchComplete = vi.fn();
    expect(await batchProcess([], (x: number) => x, { onBatchComplete })).toEqual([]);
    expect(onBatchComplete).not.toHaveBeenCalled();
  });
});
