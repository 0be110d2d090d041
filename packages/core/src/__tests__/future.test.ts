import { describe, expect, it, vi } from 'vitest';
import { CancelledError, InvalidStateError, TimeoutError } from '../errors.js';
import { AsyncExecutor } from '../executor.js';
import { type AsyncFuture, isFuture } from '../future.js';
import {
  abortListeners,
  cancelledFuture,
  deferred,
  exceptionFuture,
  flush,
  OSError,
  outcome,
  rejection,
  sleep,
  successfulFuture,
  useFakeTimers,
} from './test-utils.js';

useFakeTimers();

type Kind = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'cancelled';

/** One future in each state (CPython test_future.py's PENDING_FUTURE, RUNNING_FUTURE, …). */
async function futuresByState(): Promise<Record<Kind, AsyncFuture<number>>> {
  const executor = new AsyncExecutor({ maxWorkers: 2 });
  const paused = new AsyncExecutor();
  paused.pause();
  const running = executor.submit(async ({ signal }) => {
    await sleep(1000, signal);
    return 1;
  });
  const retrying = executor.submit(
    async (): Promise<number> => {
      await sleep(1);
      throw new Error('flaky');
    },
    { retries: 1, retryDelay: 1000, jitter: 'none' },
  );
  const queued = paused.submit(() => 2);
  await vi.advanceTimersByTimeAsync(1);
  return {
    queued,
    running,
    retrying,
    succeeded: successfulFuture(),
    failed: exceptionFuture(),
    cancelled: cancelledFuture(),
  };
}

describe('state table', () => {
  // CPython Lib/test/test_concurrent_futures/test_future.py::FutureTests::test_done / test_running / test_cancelled
  it.each<[Kind, boolean, boolean, boolean]>([
    // state        done   running cancelled
    ['queued', false, false, false],
    ['running', false, true, false],
    ['retrying', false, false, false],
    ['succeeded', true, false, false],
    ['failed', true, false, false],
    ['cancelled', true, false, true],
  ])('%s: done() %s, running() %s, cancelled() %s', async (kind, done, running, cancelled) => {
    const future = (await futuresByState())[kind];
    expect(future.state).toBe(kind);
    expect(future.done()).toBe(done);
    expect(future.running()).toBe(running);
    expect(future.cancelled()).toBe(cancelled);
  });

  it('exception(): InvalidStateError while not done, else the error (undefined on success)', async () => {
    // CPython test_future.py::test_exception_with_timeout and test_exception_with_cancel (fanout's exception() does not
    // wait: it throws InvalidStateError while pending; a cancelled future raises its CancelledError, as in Python)
    const error = new OSError();
    const f = await futuresByState();
    for (const kind of ['queued', 'running', 'retrying'] as const) {
      expect(() => f[kind].exception()).toThrow(InvalidStateError);
      expect(() => f[kind].exception()).toThrow(`is not done (state: ${kind})`);
    }
    expect(f.succeeded.exception()).toBeUndefined();
    expect(exceptionFuture(error).exception()).toBe(error);
    expect(() => f.cancelled.exception()).toThrow(CancelledError);
    try {
      f.queued.exception();
    } catch (e) {
      expect((e as Error).name).toBe('InvalidStateError');
    }
  });

  it('result({ timeout: 0 }) table', async () => {
    // CPython test_future.py::test_result_with_timeout
    const f = await futuresByState();
    const all = Promise.all(
      (['queued', 'running', 'cancelled', 'failed', 'succeeded'] as const).map((k) =>
        outcome(f[k].result({ timeout: 0 })),
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    const results = await all;
    const [queued, running, cancelled, failed, succeeded] = results;
    expect(queued).toMatchObject({ ok: false, error: expect.any(TimeoutError) });
    expect(running).toMatchObject({ ok: false, error: expect.any(TimeoutError) });
    expect(cancelled).toMatchObject({ ok: false, error: expect.any(CancelledError) });
    expect(failed).toMatchObject({ ok: false, error: expect.any(OSError) });
    expect(succeeded).toEqual({ ok: true, value: 42 });
  });
});

describe('cancel()', () => {
  // CPython test_future.py::test_cancel — with fanout's own rule for a running task.
  it('queued: returns true, the task never starts, the future rejects with CancelledError', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const gate = deferred();
    executor.submit(() => gate.promise);
    const fn = vi.fn();
    const future = executor.submit(fn);
    expect(future.cancel()).toBe(true);
    expect(future.state).toBe('cancelled');
    const error = await rejection(future);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe(`task #${future.id} was cancelled`);
    gate.resolve();
    await executor.onIdle();
    expect(fn).not.toHaveBeenCalled();
  });

  it('running: returns true (Python returns False), aborts the signal and settles at once; the late value is ignored', async () => {
    // CPython test_future.py::test_cancel RUNNING → False; fanout can interrupt running work through its AbortSignal.
    // Also CPython test_multiple_set_result: the first outcome is kept.
    const executor = new AsyncExecutor();
    let signal: AbortSignal | undefined;
    const future = executor.submit(async (ctx) => {
      signal = ctx.signal;
      await sleep(10); // ignores the signal, and returns a value later
      return 'late';
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(future.cancel('reason')).toBe(true);
    expect(future.state).toBe('cancelled');
    expect(signal?.aborted).toBe(true);
    const error = (await rejection(future)) as CancelledError;
    expect(() => future.exception()).toThrow(error);
    expect(signal?.reason).toBe(error);
    expect(error.cause).toBe('reason');
    await vi.advanceTimersByTimeAsync(10);
    expect(future.state).toBe('cancelled');
    expect(await rejection(future)).toBe(error);
    expect(executor.getSnapshot()).toMatchObject({ cancelled: 1, succeeded: 0 });
  });

  it('retrying: returns true and the task never runs again', async () => {
    const executor = new AsyncExecutor();
    const fn = vi.fn(async () => {
      await sleep(1);
      throw new Error('flaky');
    });
    const future = executor.submit(fn, { retries: 3, retryDelay: 10, jitter: 'none' });
    await vi.advanceTimersByTimeAsync(1);
    expect(future.state).toBe('retrying');
    expect(future.cancel()).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(fn).toHaveBeenCalledOnce();
    expect(future.state).toBe('cancelled');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('done: returns false and changes nothing; a second cancel returns false', () => {
    const ok = successfulFuture();
    const failed = exceptionFuture();
    const cancelled = cancelledFuture();
    expect([ok.cancel(), failed.cancel(), cancelled.cancel()]).toEqual([false, false, false]);
    expect([ok.state, failed.state, cancelled.state]).toEqual(['succeeded', 'failed', 'cancelled']);
  });

  it('keeps a CancelledError given as the reason', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    executor.submit(() => sleep(10));
    const future = executor.submit(() => 1);
    const reason = new CancelledError('mine');
    future.cancel(reason);
    expect(await rejection(future)).toBe(reason);
  });
});

describe('result()', () => {
  it('timeout rejects that wait with TimeoutError and leaves the task running', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(async () => {
      await sleep(100);
      return 'done';
    });
    const wait = outcome(future.result({ timeout: 50 }));
    await vi.advanceTimersByTimeAsync(50);
    const o = await wait;
    expect(o.ok).toBe(false);
    expect(o.ok ? undefined : o.error).toBeInstanceOf(TimeoutError);
    expect(future.state).toBe('running');
    expect(vi.getTimerCount()).toBe(1); // only the task's own sleep
    await vi.advanceTimersByTimeAsync(50);
    expect(await future).toBe('done');
    expect(await future.result({ timeout: 0 })).toBe('done');
  });

  it('a result() that is satisfied in time clears its timer', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(async () => {
      await sleep(10);
      return 1;
    });
    const result = future.result({ timeout: 1000 });
    await vi.advanceTimersByTimeAsync(10);
    expect(await result).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('signal rejects that wait with CancelledError and leaves the task running', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(async () => {
      await sleep(100);
      return 'done';
    });
    const controller = new AbortController();
    const wait = outcome(future.result({ signal: controller.signal }));
    expect(abortListeners(controller.signal)).toBe(1);
    controller.abort('bored');
    const o = await wait;
    expect(o.ok ? undefined : o.error).toBeInstanceOf(CancelledError);
    expect(o.ok ? undefined : (o.error as Error).cause).toBe('bored');
    expect(abortListeners(controller.signal)).toBe(0);
    expect(future.state).toBe('running');
    await vi.advanceTimersByTimeAsync(100);
    expect(await future).toBe('done');
  });

  it('an aborted signal rejects at once unless the future is done; listeners are removed after success', async () => {
    const executor = new AsyncExecutor();
    const pending = executor.submit(() => sleep(10));
    await expect(pending.result({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(await successfulFuture().result({ signal: AbortSignal.abort() })).toBe(42);
    const controller = new AbortController();
    const result = pending.result({ signal: controller.signal, timeout: 100 });
    await vi.advanceTimersByTimeAsync(10);
    await result;
    expect(abortListeners(controller.signal)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('done callbacks', () => {
  it('a callback added twice runs twice, in the order added, also among awaits and waits that gave up', async () => {
    const executor = new AsyncExecutor();
    const gate = deferred<number>();
    const future = executor.submit(() => gate.promise);
    const calls: string[] = [];
    const a = () => calls.push('a');
    future.addDoneCallback(a);
    future.addDoneCallback(() => calls.push('b'));
    const awaited = future.then((v) => calls.push(`await ${v}`));
    future.addDoneCallback(a);
    const gaveUp = future.result({ timeout: 1 }).catch(() => calls.push('gave up'));
    await vi.advanceTimersByTimeAsync(1);
    await gaveUp;
    future.addDoneCallback(a);
    gate.resolve(7);
    await awaited;
    expect(calls).toEqual(['gave up', 'a', 'b', 'a', 'a', 'await 7']);
  });

  // CPython test_future.py::test_done_callback_with_result / _with_exception / _with_cancel / _already_*
  it('run once, in the order added, with the future, on success, failure and cancel', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const ok = executor.submit(async () => {
      await sleep(5);
      return 5;
    });
    const bad = executor.submit(async () => {
      await sleep(5);
      throw new OSError();
    });
    const cancelled = executor.submit(() => 1);
    const calls: string[] = [];
    for (const [label, f] of [
      ['ok', ok],
      ['bad', bad],
      ['cancelled', cancelled],
    ] as const) {
      f.addDoneCallback((g) => {
        expect(g).toBe(f);
        expect(g.done()).toBe(true);
        calls.push(`${label}:1`);
      });
      f.addDoneCallback(() => calls.push(`${label}:2`));
      f.addDoneCallback(() => calls.push(`${label}:3`));
    }
    cancelled.cancel();
    await vi.advanceTimersByTimeAsync(5);
    await flush();
    expect(calls).toEqual([
      'cancelled:1',
      'cancelled:2',
      'cancelled:3',
      'ok:1',
      'ok:2',
      'ok:3',
      'bad:1',
      'bad:2',
      'bad:3',
    ]);
  });

  it('run at once when added to a done future', () => {
    for (const f of [successfulFuture(), exceptionFuture(), cancelledFuture()]) {
      const cb = vi.fn();
      f.addDoneCallback(cb);
      expect(cb).toHaveBeenCalledExactlyOnceWith(f);
    }
  });

  it('are not called again when a cancelled task that ignored its signal returns', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(() => sleep(10));
    const cb = vi.fn();
    future.addDoneCallback(cb);
    await vi.advanceTimersByTimeAsync(1);
    future.cancel();
    await vi.advanceTimersByTimeAsync(10);
    expect(cb).toHaveBeenCalledOnce();
  });

  it('a throwing callback is reported (reportError) and does not stop the later ones', () => {
    // CPython test_future.py::test_done_callback_raises ("exception calling callback for")
    const report = vi.fn();
    vi.stubGlobal('reportError', report);
    try {
      const executor = new AsyncExecutor({ maxWorkers: 1 });
      executor.submit(() => sleep(1));
      const future = executor.submit(() => 1);
      const error = new Error('doh!');
      const after = vi.fn();
      future.addDoneCallback(() => {
        throw error;
      });
      future.addDoneCallback(after);
      future.cancel();
      expect(report).toHaveBeenCalledExactlyOnceWith(error);
      expect(after).toHaveBeenCalledOnce();
      successfulFuture().addDoneCallback(() => {
        throw error;
      });
      expect(report).toHaveBeenCalledTimes(2);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('without reportError, a throwing callback goes to console.error', () => {
    vi.stubGlobal('reportError', undefined);
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const error = new Error('doh!');
      const after = vi.fn();
      const future = successfulFuture();
      future.addDoneCallback(() => {
        throw error;
      });
      future.addDoneCallback(after);
      expect(spy).toHaveBeenCalledWith(expect.any(String), error);
      expect(after).toHaveBeenCalledOnce();
    } finally {
      spy.mockRestore();
      vi.unstubAllGlobals();
    }
  });
});

describe('awaiting', () => {
  it('no unhandled rejection from a failed or cancelled future nobody awaits', async () => {
    const executor = new AsyncExecutor();
    executor.submit(async () => {
      await sleep(1);
      throw new Error('nobody listens');
    });
    executor.submit((): number => {
      throw new Error('sync, nobody listens');
    });
    executor.submit(() => sleep(10)).cancel();
    const raced = executor.submit(async () => {
      await sleep(20);
      throw new Error('after the result() timeout');
    });
    const timedOut = outcome(raced.result({ timeout: 5 }));
    await vi.advanceTimersByTimeAsync(20);
    expect((await timedOut).ok).toBe(false);
    await executor.shutdown();
    // setup.ts fails this test if any of them produced an unhandled rejection
    expect(executor.getSnapshot()).toMatchObject({ failed: 3, cancelled: 1 });
  });

  it('is a thenable: then, catch and finally behave like a promise', async () => {
    const ok = successfulFuture();
    const bad = exceptionFuture(new OSError('x'));
    expect(await ok.then((v) => v + 1)).toBe(43);
    expect(await bad.then(undefined, (e: unknown) => (e as Error).message)).toBe('x');
    expect(await bad.catch(() => 'caught')).toBe('caught');
    const onFinally = vi.fn();
    expect(await ok.finally(onFinally)).toBe(42);
    expect(onFinally).toHaveBeenCalledOnce();
    expect(String(ok)).toBe('[object AsyncFuture]');
    expect(isFuture(ok)).toBe(true);
    expect(isFuture(Promise.resolve(1))).toBe(false);
  });

  it('has a unique increasing id, its name and its attempt count', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const a = executor.submit(() => sleep(1), { name: 'first' });
    const b = executor.submit(() => 1);
    expect(b.id).toBeGreaterThan(a.id);
    expect([a.name, b.name]).toEqual(['first', undefined]);
    expect([a.attempt, b.attempt]).toEqual([1, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(b.attempt).toBe(1);
  });
});
