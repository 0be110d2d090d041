import { describe, expect, it, vi } from 'vitest';
import { CancelledError, TimeoutError } from '../errors.js';
import { AsyncExecutor } from '../executor.js';
import type { AsyncFuture } from '../future.js';
import { asCompleted, WaitStrategy, wait } from '../wait.js';
import {
  abortListeners,
  cancelledFuture,
  deferred,
  exceptionFuture,
  isSettled,
  OSError,
  outcome,
  rejection,
  sleep,
  soon,
  successfulFuture,
  useFakeTimers,
  withTime,
} from './test-utils.js';

useFakeTimers();

/** cf-taskpool's fixture: a 5-worker executor. */
const pool = () => new AsyncExecutor({ maxWorkers: 5 });
/** cf-taskpool's `amul`: sleeps 10 ms. */
const amul = (x: number, y: number) => async () => {
  await sleep(10);
  return x * y;
};
/** A task blocked until `gate` resolves (Python's `event.wait`). */
const waitFor = (gate: Promise<void>) => async () => {
  await gate;
  return 0;
};

/**
 * `for await (const f of asCompleted(…))` yields the futures themselves, but
 * TypeScript types a `for await` variable as the *awaited* value (a future is
 * a thenable), so the loop variable must be cast back.
 */
const asFuture = <T>(value: T) => value as unknown as AsyncFuture<T>;

describe('wait', () => {
  it('duplicates count once', async () => {
    // cf-taskpool tests/test_wait.py::test_20369
    const future = pool().submit(amul(1, 2));
    const { done, pending } = await withTime(wait([future, future], { returnWhen: WaitStrategy.ALL_COMPLETED }));
    expect(done).toEqual(new Set([future]));
    expect(pending.size).toBe(0);
  });

  it('FIRST_COMPLETED returns as soon as one settles', async () => {
    // cf-taskpool tests/test_wait.py::test_first_completed
    const executor = pool();
    const gate = deferred();
    const future1 = executor.submit(amul(21, 2));
    const future2 = executor.submit(waitFor(gate.promise));
    const result = wait([future1, future2], { returnWhen: WaitStrategy.FIRST_COMPLETED });
    await vi.advanceTimersByTimeAsync(10);
    const { done, pending } = await result;
    expect(done).toEqual(new Set([future1]));
    expect(pending).toEqual(new Set([future2]));
    gate.resolve();
  });

  it('FIRST_COMPLETED with some already completed (a cancelled one counts as done)', async () => {
    // cf-taskpool tests/test_wait.py::test_first_completed_some_already_completed
    // (CPython puts a not-yet-notified CANCELLED future in not_done; fanout, like asyncio, has no such state)
    const future1 = pool().submit(() => sleep(1000));
    const c = cancelledFuture();
    const s = successfulFuture();
    const result = wait([c, s, future1], { returnWhen: WaitStrategy.FIRST_COMPLETED });
    expect(await isSettled(result)).toBe(true);
    const { done, pending } = await result;
    expect(done).toEqual(new Set([c, s]));
    expect(pending).toEqual(new Set([future1]));
  });

  it('FIRST_EXCEPTION returns at the first failure, not at the first success', async () => {
    // cf-taskpool tests/test_wait.py::test_first_exception
    const executor = pool();
    const event = deferred();
    const blocked = deferred();
    const future1 = executor.submit(amul(2, 21));
    const future2 = executor.submit(async () => {
      await event.promise;
      throw new OSError();
    });
    const future3 = executor.submit(waitFor(blocked.promise));
    const result = wait([future1, future2, future3], { returnWhen: WaitStrategy.FIRST_EXCEPTION });
    await vi.advanceTimersByTimeAsync(10);
    expect(future1.done()).toBe(true);
    expect(await isSettled(result)).toBe(false);
    event.resolve();
    const { done, pending } = await result;
    expect(done).toEqual(new Set([future1, future2]));
    expect(pending).toEqual(new Set([future3]));
    blocked.resolve();
  });

  it('FIRST_EXCEPTION with some already complete: a cancellation does not count', async () => {
    // cf-taskpool tests/test_wait.py::test_first_exception_some_already_complete
    const executor = pool();
    const blocked = deferred();
    const s = successfulFuture();
    const c = cancelledFuture();
    const future1 = executor.submit(async () => {
      await sleep(10);
      if (Number('0') === 0) throw new RangeError('divmod(21, 0)');
      return 0;
    });
    const future2 = executor.submit(waitFor(blocked.promise));
    const result = wait([s, c, future1, future2], { returnWhen: WaitStrategy.FIRST_EXCEPTION });
    expect(await isSettled(result)).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    const { done, pending } = await result;
    expect(done).toEqual(new Set([s, c, future1]));
    expect(pending).toEqual(new Set([future2]));
    blocked.resolve();
  });

  it('FIRST_EXCEPTION with one already failed returns at once', async () => {
    // cf-taskpool tests/test_wait.py::test_first_exception_one_already_failed
    const blocked = deferred();
    const e = exceptionFuture();
    const future1 = pool().submit(waitFor(blocked.promise));
    const result = wait([e, future1], { returnWhen: WaitStrategy.FIRST_EXCEPTION });
    expect(await isSettled(result)).toBe(true);
    expect(await result).toEqual({ done: new Set([e]), pending: new Set([future1]) });
    blocked.resolve();
  });

  it('FIRST_EXCEPTION: a cancellation while waiting does not count; a falsy throw does', async () => {
    const executor = pool();
    const a = executor.submit(() => sleep(100));
    const b = executor.submit(async () => {
      await sleep(20);
      throw 0;
    });
    const c = executor.submit(() => sleep(1000));
    const result = wait([a, b, c], { returnWhen: WaitStrategy.FIRST_EXCEPTION });
    a.cancel();
    expect(await isSettled(result)).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(await result).toEqual({ done: new Set([a, b]), pending: new Set([c]) });
  });

  it('FIRST_EXCEPTION returns when all complete without a failure', async () => {
    const executor = pool();
    const futures = [executor.submit(amul(1, 1)), cancelledFuture()];
    const { done, pending } = await withTime(wait(futures, { returnWhen: WaitStrategy.FIRST_EXCEPTION }));
    expect(done).toEqual(new Set(futures));
    expect(pending.size).toBe(0);
  });

  it('ALL_COMPLETED (the default) waits for every future and never throws for a failure', async () => {
    // cf-taskpool tests/test_wait.py::test_all_completed
    const executor = pool();
    const future1 = executor.submit(amul(2, 5));
    const future2 = executor.submit(async () => {
      await sleep(20);
      throw new OSError();
    });
    const futures = [successfulFuture(), cancelledFuture(), exceptionFuture(), future1, future2];
    const result = wait(futures);
    await vi.advanceTimersByTimeAsync(19);
    expect(await isSettled(result)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { done, pending } = await result;
    expect(done).toEqual(new Set(futures));
    expect(pending.size).toBe(0);
  });

  it('on timeout returns what is done so far (it does not throw)', async () => {
    // cf-taskpool tests/test_wait.py::test_timeout (antflow raises here; fanout follows concurrent.futures)
    const future = pool().submit(() => sleep(6000));
    const ready = [exceptionFuture(), cancelledFuture(), successfulFuture()];
    const result = wait([...ready, future], { returnWhen: WaitStrategy.ALL_COMPLETED, timeout: 50 });
    await vi.advanceTimersByTimeAsync(49);
    expect(await isSettled(result)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const { done, pending } = await result;
    expect(done).toEqual(new Set(ready));
    expect(pending).toEqual(new Set([future]));
    expect(future.done()).toBe(false);
  });

  it('FIRST_COMPLETED on timeout returns an empty done set; timers are cleared either way', async () => {
    // antflow: wait strategies incl. FIRST_COMPLETED timeout returning empty done
    const executor = pool();
    const slow = executor.submit(() => sleep(100));
    const result = wait([slow], { returnWhen: WaitStrategy.FIRST_COMPLETED, timeout: 10 });
    await vi.advanceTimersByTimeAsync(10);
    expect(await result).toEqual({ done: new Set(), pending: new Set([slow]) });
    const second = wait([slow], { timeout: 1000 });
    await vi.advanceTimersByTimeAsync(90);
    expect((await second).done).toEqual(new Set([slow]));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('returns for 100 futures released together', async () => {
    // cf-taskpool tests/test_wait.py::test_pending_calls_race (issue 14406)
    const executor = new AsyncExecutor({ maxWorkers: 100 });
    const event = deferred();
    const futures = Array.from({ length: 100 }, () => executor.submit(waitFor(event.promise)));
    const result = wait(futures, { returnWhen: WaitStrategy.ALL_COMPLETED });
    event.resolve();
    const { done, pending } = await result;
    expect(done.size).toBe(100);
    expect(pending.size).toBe(0);
  });

  it('with no futures, returns empty sets at once; takes any iterable', async () => {
    expect(await wait([])).toEqual({ done: new Set(), pending: new Set() });
    function* gen(): Generator<AsyncFuture<number>> {
      yield successfulFuture();
    }
    expect((await wait(gen())).done.size).toBe(1);
    const s = successfulFuture();
    expect((await wait(new Set([s]))).done).toEqual(new Set([s]));
  });

  it('a signal rejects the wait with CancelledError and removes its listener and timer', async () => {
    const slow = pool().submit(() => sleep(100));
    const controller = new AbortController();
    const result = outcome(wait([slow], { signal: controller.signal, timeout: 1000 }));
    expect(abortListeners(controller.signal)).toBe(1);
    controller.abort('stop');
    const o = await result;
    expect(o.ok ? undefined : o.error).toBeInstanceOf(CancelledError);
    expect(abortListeners(controller.signal)).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
    expect(
      await rejection(wait([slow, pool().submit(() => sleep(1))], { signal: AbortSignal.abort() })),
    ).toBeInstanceOf(CancelledError);
  });

  it('executor.wait is the same function', async () => {
    const executor = pool();
    const f = executor.submit(amul(3, 3));
    const result = executor.wait([f], { returnWhen: WaitStrategy.FIRST_COMPLETED });
    expect((await withTime(result)).done).toEqual(new Set([f]));
  });
});

describe('wait and asCompleted at scale', () => {
  it('wait(ALL_COMPLETED / FIRST_EXCEPTION) counts what is left: done() is asked O(n) times, not once per settle and future', async () => {
    for (const returnWhen of [WaitStrategy.ALL_COMPLETED, WaitStrategy.FIRST_EXCEPTION]) {
      const n = 2000;
      const executor = new AsyncExecutor({ maxWorkers: Number.POSITIVE_INFINITY });
      const resolvers: (() => void)[] = [];
      let asked = 0;
      const futures = Array.from({ length: n }, () => {
        const f = executor.submit(() => new Promise<void>((resolve) => resolvers.push(resolve)));
        const done = f.done.bind(f);
        f.done = () => {
          asked++;
          return done();
        };
        return f;
      });
      const waiting = wait(futures, { returnWhen });
      for (const resolve of resolvers) resolve(); // they settle in submit order, as a pool's do
      expect((await waiting).done.size).toBe(n);
      expect(asked).toBeLessThan(10 * n); // a rescan per settle asked ≈ n²/2 = 2,000,000 times
    }
  });

  it('one signal shared by many map, mapIter, filter, wait, asCompleted and result() calls has one listener', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const controller = new AbortController();
    const { signal } = controller;
    const never = executor.submit(() => new Promise<never>(() => {}));
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      calls.push(executor.map(() => new Promise(() => {}), [1], { signal }));
      calls.push(executor.mapIter(() => new Promise(() => {}), [1], { signal }).next());
      calls.push(executor.filter(() => new Promise<boolean>(() => {}), [1], { signal }));
      calls.push(wait([never], { signal }));
      calls.push(never.result({ signal }));
      calls.push(asCompleted([never], { signal }).next());
    }
    expect(abortListeners(signal)).toBe(1);
    controller.abort();
    const outcomes = await Promise.all(
      calls.map((c) =>
        c.then(
          () => 'resolved',
          (e: unknown) => e,
        ),
      ),
    );
    expect(outcomes.every((e) => e instanceof CancelledError)).toBe(true);
    expect(abortListeners(signal)).toBe(0);
    // …and calls that end on their own leave none either (a fresh executor: the tasks above ignore their signals).
    const fresh = new AsyncExecutor();
    const kept = new AbortController();
    await fresh.map((x: number) => x, [1, 2], { signal: kept.signal });
    await wait([fresh.submit(() => 1)], { signal: kept.signal });
    expect(abortListeners(kept.signal)).toBe(0);
  });
});

describe('a signal aborted by a done callback of a future that has settled', () => {
  /** A running future whose done callback aborts `controller` ("the first one done stops the others"). */
  function abortingOnSettle() {
    const executor = new AsyncExecutor();
    const gate = deferred<number>();
    const future = executor.submit(() => gate.promise);
    const controller = new AbortController();
    future.addDoneCallback(() => controller.abort());
    return { future, signal: controller.signal, settle: () => gate.resolve(7) };
  }

  it('result(), wait and asCompleted hear the settling first, as if the abort came a moment later', async () => {
    const r = abortingOnSettle();
    const result = r.future.result({ signal: r.signal });
    r.settle();
    expect(await result).toBe(7);
    const w = abortingOnSettle();
    const waited = wait([w.future], { signal: w.signal });
    w.settle();
    expect(await waited).toEqual({ done: new Set([w.future]), pending: new Set() });
    const a = abortingOnSettle();
    const iterator = asCompleted([a.future], { signal: a.signal });
    a.settle();
    expect(await iterator.next()).toEqual({ done: false, value: a.future });
  });

  it('a wait still pending on other futures ends as aborted', async () => {
    const r = abortingOnSettle();
    const other = new AsyncExecutor().submit(() => new Promise<never>(() => {}));
    const waited = wait([r.future, other], { signal: r.signal });
    r.settle();
    expect(await rejection(waited)).toBeInstanceOf(CancelledError);
    other.cancel();
  });
});

describe('asCompleted', () => {
  it('return() while a next() is pending ends that next() too', async () => {
    const executor = new AsyncExecutor();
    const iterator = asCompleted([executor.submit(() => sleep(100))]);
    const pending = outcome(iterator.next());
    await expect(iterator.return?.()).resolves.toEqual({ done: true, value: undefined });
    expect(await pending).toEqual({ ok: true, value: { done: true, value: undefined } });
    await executor.shutdown({ cancelFutures: true });
  });

  it('yields every future once, already-done ones first, then in completion order', async () => {
    // cf-taskpool tests/test_as_completed.py::test_no_timeout
    const executor = pool();
    const slow = executor.submit(() => sleep(30));
    const fast = executor.submit(amul(2, 1)); // 10 ms
    const fastest = executor.submit(() => 'sync'); // done at once
    const ready = [successfulFuture(), cancelledFuture(), exceptionFuture()];
    const yielded: AsyncFuture<unknown>[] = [];
    const consume = (async () => {
      for await (const value of asCompleted([slow, ...ready, fastest, fast])) {
        const f = asFuture(value);
        expect(f.done()).toBe(true);
        yielded.push(f);
      }
    })();
    await withTime(consume);
    expect(yielded).toHaveLength(6);
    expect(yielded.slice(0, 4)).toEqual([...ready, fastest]);
    expect(yielded.slice(4)).toEqual([fast, slow]);
  });

  it('yields in completion order for varied delays', async () => {
    const executor = pool();
    const futures = [30, 10, 20, 0].map((ms) =>
      executor.submit(async () => {
        await sleep(ms);
        return ms;
      }),
    );
    const consume = (async () => {
      const order: number[] = [];
      for await (const f of executor.asCompleted(futures)) order.push(await f);
      return order;
    })();
    expect(await withTime(consume)).toEqual([0, 10, 20, 30]);
  });

  it.each([0, 100])('with timeout %i: yields the done ones, then throws TimeoutError', async (timeout) => {
    // cf-taskpool tests/test_as_completed.py::test_future_times_out
    const future = pool().submit(() => sleep(1000));
    const ready = [cancelledFuture(), exceptionFuture(), successfulFuture()];
    const results: unknown[] = [];
    const exceptionTypes = new Set<string>();
    const consume = (async () => {
      for await (const f of asCompleted([...ready, future], { timeout })) {
        const o = await outcome(asFuture(f));
        if (o.ok) results.push(o.value);
        else exceptionTypes.add((o.error as Error).name);
      }
    })();
    const error = await rejection(soon(consume));
    exceptionTypes.add((error as Error).name);
    expect(results).toEqual([42]);
    expect(exceptionTypes).toEqual(new Set(['CancelledError', 'OSError', 'TimeoutError']));
    expect(future.done()).toBe(false);
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it('the timeout message says how many are unfinished', async () => {
    // CPython test_as_completed.py::test_correct_timeout_exception_msg
    const executor = pool();
    const futures = [
      successfulFuture(),
      exceptionFuture(),
      executor.submit(() => sleep(1000)),
      executor.submit(() => sleep(1000)),
    ];
    const consume = (async () => {
      for await (const _ of asCompleted(futures, { timeout: 100 })) {
        // consume
      }
    })();
    const error = await rejection(withTime(consume));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).name).toBe('TimeoutError');
    expect((error as Error).message).toBe('2 (of 4) futures unfinished');
  });

  it('no TimeoutError when every future settled in time but the consumer is slow', async () => {
    const executor = pool();
    const futures = [1, 2, 3].map((ms) => executor.submit(() => sleep(ms)));
    const consume = (async () => {
      let n = 0;
      for await (const _ of asCompleted(futures, { timeout: 50 })) {
        n++;
        await sleep(40); // the timeout passes while the last futures wait to be consumed
      }
      return n;
    })();
    expect(await withTime(consume)).toBe(3);
  });

  it('duplicate futures are yielded once; any iterable works', async () => {
    // cf-taskpool tests/test_as_completed.py::test_duplicate_futures (issue 20367)
    const future1 = pool().submit(amul(2, 2));
    function* repeat<T>(value: T, times: number): Generator<T> {
      for (let i = 0; i < times; i++) yield value;
    }
    const consume = (async () => {
      const out: AsyncFuture<number>[] = [];
      for await (const f of asCompleted(repeat(future1, 3))) out.push(asFuture(f));
      return out;
    })();
    expect(await withTime(consume)).toEqual([future1]);
  });

  it('an empty input is done at once; finishing clears the timer', async () => {
    expect(await asCompleted([], { timeout: 10 }).next()).toEqual({ done: true, value: undefined });
    const f = pool().submit(() => sleep(5));
    const consume = (async () => {
      for await (const _ of asCompleted([f], { timeout: 1000 })) {
        // consume
      }
    })();
    await vi.advanceTimersByTimeAsync(5);
    await consume;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaving early (return) stops it and clears the timer', async () => {
    const executor = pool();
    const futures = [5, 10, 15].map((ms) => executor.submit(() => sleep(ms)));
    const it = asCompleted(futures, { timeout: 1000 });
    expect((await withTime(it.next())).value).toBe(futures[0]);
    await it.return?.();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    await vi.runAllTimersAsync();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a signal ends it with CancelledError after the done ones', async () => {
    const executor = pool();
    const s = successfulFuture();
    const slow = executor.submit(() => sleep(100));
    const controller = new AbortController();
    const it = asCompleted([s, slow], { signal: controller.signal });
    expect((await it.next()).value).toBe(s);
    const next = outcome(it.next());
    controller.abort();
    const o = await next;
    expect(o.ok ? undefined : o.error).toBeInstanceOf(CancelledError);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('next() before the previous one settled is a TypeError', async () => {
    const slow = pool().submit(() => sleep(100));
    const it = asCompleted([slow]);
    const first = it.next();
    expect(await rejection(it.next())).toBeInstanceOf(TypeError);
    await vi.advanceTimersByTimeAsync(100);
    expect((await first).value).toBe(slow);
  });
});

describe('asCompleted read in part', () => {
  it('drops its timeout timer and its signal listener once every future has settled, read or not', async () => {
    const executor = pool();
    const controller = new AbortController();
    const futures = [10, 20].map((ms) => executor.submit(() => sleep(ms)));
    const it = asCompleted(futures, { timeout: 60_000, signal: controller.signal });
    const first = it.next();
    await vi.advanceTimersByTimeAsync(20);
    expect((await first).done).toBe(false);
    await soon(executor.shutdown());
    expect(vi.getTimerCount()).toBe(0);
    expect(abortListeners(controller.signal)).toBe(0);
    // What was not read yet is still there.
    expect((await it.next()).value).toBe(futures[1]);
    expect((await it.next()).done).toBe(true);
  });
});
