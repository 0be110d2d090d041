import { describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../errors.js';
import { AsyncExecutor } from '../executor.js';
import { zip } from '../iterables.js';
import type { MapProgress } from '../options.js';
import type { TaskContext } from '../task.js';
import {
  abortListeners,
  collect,
  counter,
  deferred,
  flush,
  Gauge,
  outcome,
  rejection,
  sleep,
  soon,
  useFakeTimers,
  withTime,
} from './test-utils.js';

useFakeTimers();

/** cf-taskpool's `astr`: sleeps 10 ms, returns `String(x)`. */
const astr = async (x: number) => {
  await sleep(10);
  return String(x);
};
/** cf-taskpool's `amul`. */
const amul = async ([x, y]: readonly [number, number]) => {
  await sleep(10);
  return x * y;
};
class ZeroDivisionError extends Error {
  override name = 'ZeroDivisionError';
}
/** cf-taskpool's `adivmod`. */
const adivmod = async ([x, y]: readonly [number, number]) => {
  await sleep(10);
  if (y === 0) throw new ZeroDivisionError('division by zero');
  return [Math.floor(x / y), x % y] as const;
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('map', () => {
  it('returns results in input order whatever the delays', async () => {
    // cf-taskpool tests/test_task_pool.py::test_map; antflow's map order with varied delays
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const delays = [30, 10, 20, 0, 5, 25, 15];
    const result = executor.map(async (ms: number) => {
      await sleep(ms);
      return ms;
    }, delays);
    expect(await withTime(result)).toEqual(delays);
    expect(await withTime(executor.map(amul, zip(range(10), range(10))))).toEqual(range(10).map((i) => i * i));
  });

  it('reads an array as it goes: one shortened after the call gives results as long as the items that ran, no holes', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const batch = [1, 2, 3, 4, 5, 6, 7, 8];
    const run = executor.map(async (x: number) => {
      await sleep(10);
      return x * 10;
    }, batch);
    batch.length = 0; // the buffer reused for the next batch (pulled so far: 2 × concurrency)
    const results = await withTime(run);
    expect(results).toEqual([10, 20, 30, 40]);
    expect(Object.keys(results)).toHaveLength(results.length);
    const grown = [1, 2, 3, 4];
    const more = executor.map((x: number) => sleep(1).then(() => x), grown, { maxConcurrency: 1 });
    grown.push(5); // appended before the end was reached: it runs too
    expect(await withTime(more)).toEqual([1, 2, 3, 4, 5]);
  });

  it('takes any iterable or async iterable', async () => {
    const executor = new AsyncExecutor();
    async function* gen() {
      yield 1;
      await sleep(5);
      yield 2;
    }
    const double = (x: number) => x * 2;
    expect(await withTime(executor.map(double, new Set([1, 2, 2, 3])))).toEqual([2, 4, 6]);
    expect(await withTime(executor.map(double, gen()))).toEqual([2, 4]);
    expect(await executor.map((c: string) => c.toUpperCase(), 'abc')).toEqual(['A', 'B', 'C']);
    expect(await executor.map(double, [])).toEqual([]);
  });

  it('passes each item and its ctx', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const seen: [string, TaskContext][] = [];
    await withTime(
      executor.map(
        async (item: string, ctx) => {
          seen.push([item, ctx]);
          await sleep(1);
        },
        ['a', 'b'],
      ),
    );
    expect(seen.map(([item]) => item)).toEqual(['a', 'b']);
    expect(seen.map(([, ctx]) => ctx.workerId)).toEqual([0, 1]);
    expect(seen.every(([, ctx]) => ctx.attempt === 1 && ctx.signal instanceof AbortSignal)).toBe(true);
  });

  it('fails fast with the first error: running items are aborted, queued ones never start', async () => {
    // cf-taskpool tests/test_task_pool.py::test_map_exception (stop-and-cancel, not CPython main's "continue")
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const error = new Error('boom');
    const started: number[] = [];
    const signals = new Map<number, AbortSignal>();
    const result = outcome(
      executor.map(
        async (ms: number, { signal }) => {
          started.push(ms);
          signals.set(ms, signal);
          await sleep(ms, signal);
          if (ms === 5) throw error;
          return ms;
        },
        [20, 5, 30, 40],
      ),
    );
    await vi.advanceTimersByTimeAsync(5);
    expect(await result).toEqual({ ok: false, error });
    expect(signals.get(20)?.aborted).toBe(true);
    await vi.runAllTimersAsync();
    expect(started).toEqual([20, 5]);
    expect(executor.getSnapshot()).toMatchObject({ failed: 1, cancelled: 3, succeeded: 0 });
  });

  it('returnExceptions puts each error in its place and runs every item', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const error = new ZeroDivisionError();
    const result = executor.map(
      async (x: number) => {
        await sleep(10 - x);
        if (x === 1) throw error;
        return x;
      },
      [0, 1, 2, 3],
      { returnExceptions: true },
    );
    const values = await withTime(result);
    expect(values).toEqual([0, error, 2, 3]);
    expect(values[1]).toBe(error);
  });

  it('returnExceptions: a thrown value that is not an Error is put in as an Error with it as cause, so instanceof Error finds every failure', async () => {
    const executor = new AsyncExecutor();
    const thrown: unknown[] = ['bad input', { code: 42 }, 5, null];
    const fail = (i: number) => {
      if (i < thrown.length) throw thrown[i];
      return i;
    };
    const check = (results: unknown[]) => {
      expect(results[4]).toBe(4);
      for (const [i, value] of thrown.entries()) {
        expect(results[i]).toBeInstanceOf(Error);
        expect((results[i] as Error).cause).toBe(value);
      }
      expect((results[0] as Error).message).toBe('a task threw "bad input", not an Error');
    };
    check(await executor.map(fail, [0, 1, 2, 3, 4], { returnExceptions: true }));
    check(await collect(executor.mapIter(fail, [0, 1, 2, 3, 4], { returnExceptions: true })));
    // without returnExceptions the map still rejects with the value itself, as the future does
    await expect(executor.map(fail, [0], {})).rejects.toBe('bad input');
  });

  it('rejects with a falsy thrown value too', async () => {
    const executor = new AsyncExecutor();
    expect(
      await outcome(
        executor.map(
          (x: number) => {
            if (x === 1) throw 0;
            return x;
          },
          [0, 1, 2],
        ),
      ),
    ).toEqual({ ok: false, error: 0 });
  });

  it('runs every item without being awaited, and shutdown waits for it', async () => {
    // CPython test_thread_pool.py::test_map_submits_without_iteration (issue 11777)
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const finished = new Set<number>();
    void executor.map(async (x: number) => {
      await sleep(1);
      finished.add(x);
    }, range(30));
    let shut = false;
    void executor.shutdown().then(() => (shut = true));
    await vi.advanceTimersByTimeAsync(14);
    expect(shut).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(shut).toBe(true);
    expect(finished).toEqual(new Set(range(30)));
  });

  it('maxConcurrency is never exceeded, and reached', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10 });
    const gauge = new Gauge();
    const result = executor.map((x: number) => gauge.run(() => sleep(1 + ((x * 7) % 11))), range(40), {
      maxConcurrency: 3,
    });
    await withTime(result);
    expect(gauge.peak).toBe(3);
  });

  it('two maps with their own maxConcurrency share the pool without exceeding either limit', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 3 });
    const a = new Gauge();
    const b = new Gauge();
    const all = new Gauge();
    const work = (g: Gauge) => (x: number) => all.run(() => g.run(() => sleep(1 + ((x * 5) % 7))));
    const both = Promise.all([
      executor.map(work(a), range(20), { maxConcurrency: 2 }),
      executor.map(work(b), range(20), { maxConcurrency: 2 }),
    ]);
    await withTime(both);
    expect([a.peak, b.peak, all.peak]).toEqual([2, 2, 3]);
  });

  it('a signal aborting mid-run rejects with CancelledError and cancels the rest', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const controller = new AbortController();
    const started: number[] = [];
    const signals: AbortSignal[] = [];
    const result = outcome(
      executor.map(
        async (x: number, { signal }) => {
          started.push(x);
          signals.push(signal);
          await sleep(10, signal);
          return x;
        },
        range(6),
        { signal: controller.signal },
      ),
    );
    await vi.advanceTimersByTimeAsync(15);
    controller.abort('enough');
    const o = await result;
    expect(o.ok).toBe(false);
    const error = o.ok ? undefined : o.error;
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).cause).toBe('enough');
    expect(signals.slice(2).every((s) => s.aborted)).toBe(true);
    await vi.runAllTimersAsync();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('an already-aborted signal rejects without calling fn', async () => {
    const executor = new AsyncExecutor();
    const fn = vi.fn((x: number) => x);
    const error = await rejection(executor.map(fn, [1, 2, 3], { signal: AbortSignal.abort('no') }));
    expect(error).toBeInstanceOf(CancelledError);
    expect(fn).not.toHaveBeenCalled();
    const it = executor.mapIter(fn, [1, 2, 3], { signal: AbortSignal.abort('no') });
    expect(await rejection(it.next())).toBeInstanceOf(CancelledError);
    expect(fn).not.toHaveBeenCalled();
  });

  it('removes its signal listener when it finishes', async () => {
    const executor = new AsyncExecutor();
    const controller = new AbortController();
    await withTime(executor.map(astr, [1, 2], { signal: controller.signal }));
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('reports progress after each item', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const progress: MapProgress[] = [];
    await withTime(
      executor.map(
        async (x: number) => {
          await sleep(1);
          if (x === 1) throw new Error('one');
          return x;
        },
        [0, 1, 2],
        { returnExceptions: true, onProgress: (p) => progress.push(p) },
      ),
    );
    expect(progress).toEqual([
      { done: 1, failed: 0, total: 3 },
      { done: 2, failed: 1, total: 3 },
      { done: 3, failed: 1, total: 3 },
    ]);
  });

  it('a generator whose end is found after its last item finished: one more call tells the total', async () => {
    for (const source of [
      function* () {
        yield 1;
        yield 2;
      },
      async function* () {
        yield 1;
        yield 2;
      },
    ]) {
      const progress: MapProgress[] = [];
      await new AsyncExecutor().map((x: number) => x, source(), { onProgress: (p) => progress.push(p) });
      expect(progress).toEqual([
        { done: 1, failed: 0, total: undefined },
        { done: 2, failed: 0, total: undefined },
        { done: 2, failed: 0, total: 2 },
      ]);
    }
    const none: MapProgress[] = [];
    await new AsyncExecutor().map((x: number) => x, range(0), { onProgress: (p) => none.push(p) });
    expect(none).toEqual([]); // nothing finished: no call
  });

  it('handles 20,000 synchronous items without deep recursion', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 16 });
    const n = 20_000;
    const result = await executor.map((x: number) => x * 2, range(n));
    expect(result).toHaveLength(n);
    expect(result[n - 1]).toBe(2 * (n - 1));
    const streamed = await collect(
      new AsyncExecutor({ maxWorkers: Number.POSITIVE_INFINITY }).mapIter((x: number) => x, range(n)),
    );
    expect(streamed).toHaveLength(n);
  });

  it('results that look like futures (an object with done()) are plain values', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const error = new Error('late failure');
    const result = outcome(
      executor.map(
        async (x: number) => {
          await sleep(x);
          if (x === 5) throw error;
          return { done: () => false };
        },
        [1, 5, 100],
      ),
    );
    await vi.advanceTimersByTimeAsync(5);
    expect(await result).toEqual({ ok: false, error });
  });
});

describe('mapIter', () => {
  it('yields in input order; ordered: false yields in completion order', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const delays = [30, 10, 20, 0, 5];
    const fn = async (ms: number) => {
      await sleep(ms);
      return ms;
    };
    expect(await withTime(collect(executor.mapIter(fn, delays)))).toEqual(delays);
    expect(await withTime(collect(executor.mapIter(fn, delays, { ordered: false })))).toEqual([0, 5, 10, 20, 30]);
  });

  it('stops at the first error: yields what came before, throws it, then is done', async () => {
    // cf-taskpool tests/test_task_pool.py::test_map_exception: two results, then ZeroDivisionError
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const it = executor.mapIter(adivmod, zip([1, 1, 1, 1], [2, 3, 0, 5]));
    const first = withTime(it.next());
    expect(await first).toEqual({ done: false, value: [0, 1] });
    expect(await withTime(it.next())).toEqual({ done: false, value: [0, 1] });
    expect(await rejection(withTime(it.next()))).toBeInstanceOf(ZeroDivisionError);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('with returnExceptions yields the error in its place and goes on', async () => {
    // CPython main test_map_exception (gh-108518: map no longer stops at a failing call)
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const values = await withTime(
      collect(executor.mapIter(adivmod, zip([2, 1, 1, 1], [1, 2, 0, 0]), { returnExceptions: true })),
    );
    expect(values.slice(0, 2)).toEqual([
      [2, 0],
      [0, 1],
    ]);
    expect(values[2]).toBeInstanceOf(ZeroDivisionError);
    expect(values[3]).toBeInstanceOf(ZeroDivisionError);
    const more = await withTime(
      collect(executor.mapIter(adivmod, zip([2, 1, 1], [1, 0, 2]), { returnExceptions: true })),
    );
    expect(more[1]).toBeInstanceOf(ZeroDivisionError);
    expect(more[2]).toEqual([0, 1]);
  });

  it('ordered: false stops at the first error too and cancels what is running', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const signals: AbortSignal[] = [];
    const error = new Error('x');
    const it = executor.mapIter(
      async (ms: number, { signal }) => {
        signals.push(signal);
        await sleep(ms, signal);
        if (ms === 10) throw error;
        return ms;
      },
      [30, 5, 10, 40],
      { ordered: false },
    );
    expect(await withTime(it.next())).toEqual({ done: false, value: 5 });
    expect(await rejection(withTime(it.next()))).toBe(error);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[3]?.aborted).toBe(true);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  describe('bufferSize', () => {
    it('rejects "foo", 0, -1 and 2.5; accepts 2.0 (an integer in JS)', () => {
      // cf-taskpool tests/test_task_pool.py::test_map_buffersize_validation ("foo"/2.0 → TypeError, 0/-1 → ValueError)
      const executor = new AsyncExecutor();
      expect(() => executor.mapIter(astr, range(4), { bufferSize: 'foo' as never })).toThrow(
        new TypeError('bufferSize must be an integer ≥ 1, got "foo"'),
      );
      for (const size of [0, -1, 2.5]) {
        expect(() => executor.mapIter(astr, range(4), { bufferSize: size })).toThrow(
          new RangeError(`bufferSize must be an integer ≥ 1, got ${size}`),
        );
      }
      expect(() => executor.mapIter(astr, range(4), { bufferSize: 2.0 })).not.toThrow();
    });

    it.each([1, 2, 4, 8])('bufferSize %i yields every result in order', async (bufferSize) => {
      // cf-taskpool tests/test_task_pool.py::test_map_buffersize
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      expect(await withTime(collect(executor.mapIter(astr, range(4), { bufferSize })))).toEqual(['0', '1', '2', '3']);
    });

    it('on multiple iterables (zip)', async () => {
      // cf-taskpool tests/test_task_pool.py::test_map_buffersize_on_multiple_iterables
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const ints = range(4);
      expect(await withTime(collect(executor.mapIter(amul, zip(ints, ints), { bufferSize: 2 })))).toEqual([0, 1, 4, 9]);
    });

    it('on an infinite iterable: pulls bufferSize ahead, tops up on each hand-over, closes it on exit', async () => {
      // cf-taskpool tests/test_task_pool.py::test_map_buffersize_on_infinite_iterable
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const count = counter();
      const signals: AbortSignal[] = [];
      const it = executor.mapIter(
        async (x: number, { signal }) => {
          signals.push(signal);
          return astr(x);
        },
        count.iterator,
        { bufferSize: 2 },
      );
      expect(count.pulled()).toBe(2);
      const values: string[] = [];
      for (let consumed = 1; consumed <= 3; consumed++) {
        const r = await soon(it.next());
        values.push(r.value as string);
        expect(count.pulled()).toBe(consumed + 2);
      }
      expect(values).toEqual(['0', '1', '2']);
      expect(signals).toHaveLength(5);
      expect(signals[4]?.aborted).toBe(false);
      await it.return?.();
      expect(count.closed()).toBe(true);
      expect(signals[4]?.aborted).toBe(true); // item 4 was in flight
      await vi.runAllTimersAsync();
      expect(executor.getSnapshot()).toMatchObject({ succeeded: 4, cancelled: 1, queued: 0, running: 0 });
    });

    it('on an infinite async iterable', async () => {
      const executor = new AsyncExecutor({ maxWorkers: 2 });
      let pulled = 0;
      async function* acount() {
        for (let i = 0; ; i++) {
          await sleep(1);
          pulled++;
          yield i;
        }
      }
      const values: string[] = [];
      const consume = (async () => {
        for await (const v of executor.mapIter(astr, acount(), { bufferSize: 3 })) {
          values.push(v);
          expect(pulled).toBeLessThanOrEqual(values.length + 3);
          if (values.length === 5) break;
        }
      })();
      await withTime(consume);
      expect(values).toEqual(['0', '1', '2', '3', '4']);
    });

    it('on multiple infinite iterables', async () => {
      // cf-taskpool tests/test_task_pool.py::test_map_buffersize_on_multiple_infinite_iterables
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const values: number[] = [];
      const consume = (async () => {
        for await (const v of executor.mapIter(amul, zip(counter().iterator, counter().iterator), { bufferSize: 2 })) {
          values.push(v);
          if (values.length === 4) break;
        }
      })();
      await withTime(consume);
      expect(values).toEqual([0, 1, 4, 9]);
    });

    it('on an empty iterable', async () => {
      // cf-taskpool tests/test_task_pool.py::test_map_buffersize_on_empty_iterable
      const executor = new AsyncExecutor();
      expect(await executor.mapIter(astr, [], { bufferSize: 2 }).next()).toEqual({ done: true, value: undefined });
    });

    it('without an iterable is a TypeError', () => {
      // cf-taskpool tests/test_task_pool.py::test_map_buffersize_without_iterable — Python's map(fn) yields nothing;
      // fanout's mapIter takes exactly one input (use zip for several), so a missing one is bad input.
      const executor = new AsyncExecutor();
      expect(() => executor.mapIter(astr, undefined as never, { bufferSize: 2 })).toThrow(
        new TypeError('items must be an iterable or an async iterable, got undefined'),
      );
    });

    it('when the buffer is full, only bufferSize items were pulled', async () => {
      // cf-taskpool tests/test_task_pool.py::test_map_buffersize_when_buffer_is_full
      // ("should have fetched only `buffersize` elements from `ints`.")
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const ints = range(4)[Symbol.iterator]();
      executor.mapIter(astr, ints, { bufferSize: 2 });
      await withTime(executor.shutdown());
      expect(ints.next().value).toBe(2);
    });

    it('defaults to 2 × min(maxConcurrency, maxWorkers)', () => {
      const executor = new AsyncExecutor({ maxWorkers: 3 });
      const a = counter();
      executor.mapIter(astr, a.iterator);
      expect(a.pulled()).toBe(6);
      const b = counter();
      executor.mapIter(astr, b.iterator, { maxConcurrency: 2 });
      expect(b.pulled()).toBe(4);
    });
  });

  it('leaving the loop early cancels what is in flight and closes the source', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const count = counter();
    const signals: AbortSignal[] = [];
    const consume = (async () => {
      for await (const v of executor.mapIter(async (x: number, { signal }) => {
        signals.push(signal);
        await sleep(10, signal);
        return x;
      }, count.iterator)) {
        if (v === 1) break;
      }
    })();
    await withTime(consume);
    expect(count.closed()).toBe(true);
    expect(signals.slice(2).every((s) => s.aborted)).toBe(true);
    expect(executor.getSnapshot()).toMatchObject({ running: 0, queued: 0, succeeded: 2 });
  });

  it('throw() ends the iteration and cancels what is in flight', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const signals: AbortSignal[] = [];
    const it = executor.mapIter(async (x: number, { signal }) => {
      signals.push(signal);
      await sleep(10, signal);
      return x;
    }, range(4));
    const error = new Error('consumer failed');
    expect(await rejection(it.throw?.(error) ?? Promise.resolve())).toBe(error);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('a signal aborting ends the iteration with CancelledError', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const controller = new AbortController();
    const it = executor.mapIter(astr, range(10), { signal: controller.signal });
    expect(await withTime(it.next())).toEqual({ done: false, value: '0' });
    controller.abort();
    expect(await rejection(it.next())).toBeInstanceOf(CancelledError);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('a consumer giving up on a saturated pool: the items never start', async () => {
    // cf-taskpool tests/test_task_pool.py::test_executor_map_current_future_cancel (gh-95166)
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const log: string[] = [];
    const logNWait = (ident: string) => async () => {
      log.push(`ident='${ident}' started`);
      await sleep(10);
      log.push(`ident='${ident}' stopped`);
    };
    const first = deferred();
    executor.submit(async () => {
      log.push("ident='first' started");
      await first.promise;
      log.push("ident='first' stopped");
    });
    const it = executor.mapIter((ident: string) => logNWait(ident)(), ['second', 'third']);
    // asyncio.timeout(0) around anext(): give up on the first result at once
    const next = it.next();
    const timedOut = Promise.race([next.then(() => false), sleep(0).then(() => true)].map(outcome));
    await vi.advanceTimersByTimeAsync(0);
    expect(await timedOut).toEqual({ ok: true, value: true });
    await it.return?.();
    first.resolve();
    await withTime(executor.shutdown());
    expect(log).toEqual(["ident='first' started", "ident='first' stopped"]);
  });

  it('a map aborted on a saturated pool: its items never start', async () => {
    // cf-taskpool tests/test_task_pool.py::test_executor_map_current_future_cancel, with map's signal
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const first = deferred();
    executor.submit(() => first.promise);
    const fn = vi.fn();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0); // asyncio.timeout(0)
    const result = outcome(executor.map(fn, ['second', 'third'], { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(0);
    const o = await result;
    expect(o.ok ? undefined : o.error).toBeInstanceOf(CancelledError);
    first.resolve();
    await flush();
    await executor.shutdown();
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('mapIter: a woken item cancelled before it starts', () => {
  it('passes its place in maxConcurrency on: a parked retry still runs', async () => {
    // Item 0's retry parks behind item 2; item 1 fails, waking item 2, which the failure then cancels.
    const executor = new AsyncExecutor({ maxWorkers: 10 });
    const it = executor.mapIter(
      async (i: number, { attempt }: TaskContext) => {
        await sleep(10);
        if (i === 0 && attempt === 1) throw new Error('e0');
        if (i === 1) throw new Error('e1');
        return i;
      },
      [0, 1, 2, 3],
      {
        maxConcurrency: 1,
        retries: 1,
        retryDelay: 1,
        jitter: 'none',
        bufferSize: 3,
        retryIf: (e) => (e as Error).message === 'e0',
      },
    );
    const first = outcome(it.next());
    await vi.advanceTimersByTimeAsync(1000);
    expect(await first).toEqual({ ok: true, value: { done: false, value: 0 } });
    expect(await rejection(it.next())).toMatchObject({ message: 'e1' });
    await executor.shutdown();
  });
});

describe('filter', () => {
  it('keeps the items whose predicate holds, in input order', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 3 });
    const result = executor.filter(async (x: number) => {
      await sleep(20 - x);
      return x % 2 === 0;
    }, range(10));
    expect(await withTime(result)).toEqual([0, 2, 4, 6, 8]);
  });

  it('passes ctx, takes async iterables, honours maxConcurrency and rejects on a failing predicate', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10 });
    const gauge = new Gauge();
    async function* items() {
      yield* range(12);
    }
    const kept = executor.filter(
      (x: number, ctx) =>
        gauge.run(async () => {
          await sleep(1 + (x % 3));
          return ctx.taskId > 0 && x > 8;
        }),
      items(),
      { maxConcurrency: 2 },
    );
    expect(await withTime(kept)).toEqual([9, 10, 11]);
    expect(gauge.peak).toBe(2);
    const error = new Error('pred');
    expect(
      await outcome(
        executor.filter((x: number) => {
          if (x === 2) throw error;
          return true;
        }, range(5)),
      ),
    ).toEqual({ ok: false, error });
  });
});

describe('map: faults of the caller’s own code', () => {
  it('an onProgress that throws is reported and the run goes on: map, filter and mapIter finish, shutdown resolves', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (e: unknown) => reported.push(e));
    try {
      const executor = new AsyncExecutor({ maxWorkers: 2 });
      const onProgress = () => {
        throw new Error('boom');
      };
      expect(await soon(executor.map(async (x: number) => x * 2, [1, 2, 3], { onProgress }))).toEqual([2, 4, 6]);
      expect(await soon(executor.filter(async (x: number) => x > 1, [1, 2, 3], { onProgress }))).toEqual([2, 3]);
      expect(await soon(collect(executor.mapIter(async (x: number) => x, [1, 2, 3], { onProgress })))).toEqual([
        1, 2, 3,
      ]);
      await soon(executor.shutdown());
      expect(reported).toHaveLength(9);
      expect(String(reported[0])).toMatch(/boom/);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a source whose next() returns a non-object fails the map with a TypeError and cancels what it started, as a next() that throws does', async () => {
    for (const at of [0, 2]) {
      const executor = new AsyncExecutor({ maxWorkers: 2 });
      const signals: AbortSignal[] = [];
      let i = 0;
      const items = {
        [Symbol.iterator]: () => ({ next: () => (i < at ? { done: false, value: i++ } : undefined) }),
      } as unknown as Iterable<number>;
      const run = (x: number, { signal }: TaskContext) => {
        signals.push(signal);
        return sleep(50, signal).then(() => x);
      };
      const error = await rejection(executor.map(run, items, { maxConcurrency: at === 0 ? 1 : 3 }));
      expect(error).toBeInstanceOf(TypeError);
      expect(String(error)).toMatch(/items: next\(\) returned undefined, not an object/);
      expect(signals.every((s) => s.aborted)).toBe(true);
      await soon(executor.shutdown());
    }
  });

  it('an async source whose next() resolves to a non-object fails the map, cancels it and leaves no unhandled rejection', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    let i = 0;
    const items = {
      [Symbol.asyncIterator]: () => ({
        next: async () => (i < 2 ? { done: false, value: i++ } : null),
      }),
    } as unknown as AsyncIterable<number>;
    const signals: AbortSignal[] = [];
    const run = (x: number, { signal }: TaskContext) => {
      signals.push(signal);
      return sleep(50, signal).then(() => x);
    };
    const p = executor.map(run, items);
    const error = await rejection(soon(p));
    expect(String(error)).toMatch(/TypeError: items: next\(\) returned null, not an object/);
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    await soon(executor.shutdown());
  });

  it('a source that aborts the map from inside its next() gets no later item started', async () => {
    for (const how of ['signal', 'cancelAll'] as const) {
      const executor = new AsyncExecutor({ maxWorkers: 4 });
      const controller = new AbortController();
      const calls: number[] = [];
      function* items() {
        yield 1;
        if (how === 'signal') controller.abort();
        else executor.cancelAll();
        yield 2;
      }
      const run = (x: number) => {
        calls.push(x);
        return sleep(50).then(() => x);
      };
      const p = executor.map(run, items(), { signal: controller.signal });
      expect(await rejection(soon(p))).toBeInstanceOf(CancelledError);
      expect(calls).toEqual([1]);
      expect(executor.getSnapshot()).toMatchObject({ submitted: 1, cancelled: 1 });
      await soon(executor.shutdown());
    }
  });
});
