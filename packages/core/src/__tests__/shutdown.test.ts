import { describe, expect, it, vi } from 'vitest';
import { CancelledError, ExecutorShutdownError } from '../errors.js';
import { AsyncExecutor } from '../executor.js';
import {
  abortListeners,
  deferred,
  isSettled,
  outcome,
  rejection,
  sleep,
  soon,
  useFakeTimers,
  withTime,
} from './test-utils.js';

useFakeTimers();

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** cf-taskpool's `aabs`. */
const aabs = async (x: number) => {
  await sleep(10);
  return Math.abs(x);
};

describe('shutdown', () => {
  it('submit, map, mapIter and filter after shutdown fail with ExecutorShutdownError', async () => {
    // cf-taskpool tests/test_shutdown.py::test_run_after_shutdown (RuntimeError in Python)
    const executor = new AsyncExecutor();
    await executor.shutdown();
    expect(() => executor.submit(() => 1)).toThrow(ExecutorShutdownError);
    expect(() => executor.submit('not even a function' as never)).toThrow(ExecutorShutdownError);
    expect(await rejection(executor.map((x: number) => x, [1]))).toBeInstanceOf(ExecutorShutdownError);
    expect(() => executor.mapIter((x: number) => x, [1])).toThrow(ExecutorShutdownError);
    expect(await rejection(executor.filter(() => true, [1]))).toBeInstanceOf(ExecutorShutdownError);
    expect(executor.getSnapshot()).toMatchObject({ shutdown: true, submitted: 0 });
  });

  it('is idempotent', async () => {
    const executor = new AsyncExecutor();
    const f = executor.submit(() => sleep(10));
    const first = executor.shutdown();
    const second = executor.shutdown();
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all([first, second, executor.shutdown({ cancelFutures: true })]);
    expect(f.state).toBe('succeeded');
  });

  it.each([true, false])('with cancelFutures: %s', async (cancelFutures) => {
    // cf-taskpool tests/test_shutdown.py::test_shutdown — with cancelFutures, fanout cancels the running
    // tasks too (their signals abort), so every future is cancelled, not only the queued ones.
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const signals: AbortSignal[] = [];
    const futures = Array.from({ length: 50 }, () =>
      executor.submit(async ({ signal }) => {
        signals.push(signal);
        await sleep(100, signal);
      }),
    );
    await vi.advanceTimersByTimeAsync(1);
    const shut = executor.shutdown({ cancelFutures });
    if (cancelFutures) {
      await shut; // honouring tasks return at once: no time has to pass
      expect(futures.every((f) => f.cancelled())).toBe(true);
      expect(signals).toHaveLength(5);
      expect(signals.every((s) => s.aborted)).toBe(true);
    } else {
      await withTime(shut);
      expect(futures.every((f) => f.state === 'succeeded')).toBe(true);
      expect(await Promise.all(futures.map((f) => f.result()))).toEqual(futures.map(() => undefined));
    }
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancelFutures cancels queued, running, retrying and parked tasks', async () => {
    // CPython test_shutdown.py::test_cancel_futures, with fanout's rule for running tasks
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const running = executor.submit(({ signal }) => sleep(100, signal));
    const retrying = executor.submit(
      async () => {
        await sleep(1);
        throw new Error('flaky');
      },
      { retries: 5, retryDelay: 50, jitter: 'none' },
    );
    const map = outcome(executor.map((x: number, { signal }) => sleep(x, signal), [10, 20, 30], { maxConcurrency: 1 }));
    const queued = executor.submit(() => 1);
    await vi.advanceTimersByTimeAsync(2);
    expect(retrying.state).toBe('retrying');
    await executor.shutdown({ cancelFutures: true });
    expect([running.state, retrying.state, queued.state]).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect((await map).ok).toBe(false);
    const snapshot = executor.getSnapshot();
    expect(snapshot).toMatchObject({ queued: 0, running: 0, retrying: 0, succeeded: 0 });
    expect(snapshot.cancelled).toBe(snapshot.submitted);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a task cancelled right before shutdown does not hang it', async () => {
    // cf-taskpool tests/test_shutdown.py::test_hang_gh94440
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    await executor.submit(() => 1);
    const gate = deferred();
    const running = executor.submit(({ signal }) => {
      signal.addEventListener('abort', () => gate.resolve());
      return gate.promise;
    });
    const queued = executor.submit(() => 2);
    running.cancel();
    queued.cancel();
    await executor.shutdown({ wait: true });
    expect([running.state, queued.state]).toEqual(['cancelled', 'cancelled']);
  });

  it('waits for every task; afterwards every worker is idle', async () => {
    // cf-taskpool tests/test_shutdown.py::test_tasks_terminate
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const gate = deferred();
    const futures = [0, 1, 2].map(() => executor.submit(() => gate.promise));
    expect(executor.getSnapshot().workers.filter((w) => w.taskId !== undefined)).toHaveLength(3);
    const shut = executor.shutdown();
    expect(await isSettled(shut)).toBe(false);
    gate.resolve();
    await shut;
    expect(futures.every((f) => f.done())).toBe(true);
    expect(executor.getSnapshot().workers.every((w) => w.taskId === undefined)).toBe(true);
  });

  it('50 tasks, then shutdown: all results are there', async () => {
    // CPython test_shutdown.py::test_hang_issue12364
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const futures = range(0, 50).map((i) =>
      executor.submit(async () => {
        await sleep(1);
        return i;
      }),
    );
    await withTime(executor.shutdown());
    expect(await Promise.all(futures)).toEqual(range(0, 50));
  });

  it('await using shuts it down at the end of the scope, waiting for its tasks', async () => {
    // cf-taskpool tests/test_shutdown.py::test_context_manager_shutdown
    let outside: AsyncExecutor | undefined;
    let result: number[] = [];
    const scope = (async () => {
      await using executor = new AsyncExecutor({ maxWorkers: 5 });
      outside = executor;
      result = await executor.map(aabs, range(-5, 5));
      executor.submit(() => sleep(50));
    })();
    await withTime(scope);
    expect(result).toEqual([5, 4, 3, 2, 1, 0, 1, 2, 3, 4]);
    expect(outside?.getSnapshot()).toMatchObject({ shutdown: true, running: 0, queued: 0, succeeded: 11 });
    expect(outside?.getSnapshot().workers.every((w) => w.taskId === undefined)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('wait: false resolves at once while the tasks go on', async () => {
    // cf-taskpool tests/test_shutdown.py::test_shutdown_no_wait
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const res = [
      executor.submit(async () => {
        await sleep(10);
        return 10;
      }),
    ];
    const mapped = outcome(executor.map(aabs, range(-5, 5)));
    const shut = executor.shutdown({ wait: false });
    expect(await isSettled(shut)).toBe(true);
    expect(executor.getSnapshot().running).toBe(5);
    await vi.runAllTimersAsync();
    expect(await res[0]).toBe(10);
    expect(await mapped).toEqual({ ok: true, value: [5, 4, 3, 2, 1, 0, 1, 2, 3, 4] });
  });

  it('cancelFutures with wait: false cancels at once and resolves at once', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const running = executor.submit(() => sleep(100));
    const queued = executor.submit(() => 1);
    expect(await isSettled(executor.shutdown({ wait: false, cancelFutures: true }))).toBe(true);
    expect([running.state, queued.state]).toEqual(['cancelled', 'cancelled']);
  });

  it('resolves once every task has settled, not waiting for a cancelled function that ignores its signal', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    executor.submit(() => sleep(80)); // ignores its signal
    executor.submit(({ signal }) => sleep(80, signal));
    await vi.advanceTimersByTimeAsync(10);
    const shut = executor.shutdown({ cancelFutures: true });
    expect(await isSettled(shut)).toBe(true);
    expect(vi.getTimerCount()).toBe(1); // the ignoring function's own sleep; nothing of the executor's
    expect(executor.getSnapshot().workers.filter((w) => w.taskId !== undefined)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(70);
    expect(vi.getTimerCount()).toBe(0);
    expect(executor.getSnapshot().workers.every((w) => w.taskId === undefined)).toBe(true);
  });

  it('a map in progress goes on after shutdown (wait: true waits for it), as if all were submitted at once', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    async function* slowSource() {
      for (let i = 0; i < 6; i++) {
        await sleep(5);
        yield i;
      }
    }
    const started: number[] = [];
    const result = outcome(
      executor.map(async (x: number) => {
        started.push(x);
        await sleep(1);
        return x;
      }, slowSource()),
    );
    await vi.advanceTimersByTimeAsync(6);
    const shut = executor.shutdown();
    const shutAt = await soon(shut.then(() => Date.now()));
    expect(await result).toEqual({ ok: true, value: [0, 1, 2, 3, 4, 5] });
    expect(shutAt).toBeGreaterThanOrEqual(31); // after the last item (pulled at 30) ran
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a mapIter started before shutdown yields what it started, then throws ExecutorShutdownError', async () => {
    // concurrent.futures: the buffered map's next submit raises RuntimeError after shutdown
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const fn = vi.fn(async (x: number) => {
      await sleep(1);
      return x;
    });
    const it = executor.mapIter(fn, [1, 2, 3, 4, 5], { bufferSize: 1 });
    await withTime(executor.shutdown());
    expect(await it.next()).toEqual({ done: false, value: 1 });
    expect(await rejection(it.next())).toBeInstanceOf(ExecutorShutdownError);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a shutdown without cancelFutures lets the items a mapIter started finish and hands them over, then it throws; the item read after it is not started', async () => {
    // A job drained on SIGINT: its writes in flight must finish, and the iterator must say it was cut short.
    // As CPython's buffered map (which calls next() on the input, then submit(), which raises), the source is
    // read once after the shutdown, and that item is dropped: it tells a cut short run from a finished one.
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const log: string[] = [];
    const pulled: number[] = [];
    function* rows() {
      for (let i = 0; i < 10; i++) {
        pulled.push(i);
        yield i;
      }
    }
    const write = async (i: number, { signal }: { signal: AbortSignal }) => {
      log.push(`start ${i}`);
      await sleep(i === 0 ? 100 : 150, signal).catch((e: unknown) => {
        log.push(`aborted ${i}`);
        throw e;
      });
      log.push(`done ${i}`);
      return i;
    };
    const it = executor.mapIter(write, rows(), { bufferSize: 3 });
    await vi.advanceTimersByTimeAsync(50); // 0 and 1 running, 2 queued
    const shut = executor.shutdown({ wait: true }).then(() => Date.now());
    const got: unknown[] = [];
    const consumed = (async () => {
      for await (const value of it) got.push(value);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(1000);
    const error = await consumed;
    expect(error).toBeInstanceOf(ExecutorShutdownError);
    expect(got).toEqual([0, 1, 2]); // every item pulled before the shutdown ran and was handed over
    expect(pulled).toEqual([0, 1, 2, 3]);
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start 0', 'start 1', 'start 2']);
    expect(log.filter((l) => l.startsWith('aborted'))).toEqual([]);
    expect(await shut).toBeGreaterThanOrEqual(250); // waited for them: 2 started at 100, took 150
    expect(vi.getTimerCount()).toBe(0);
  });

  for (const [what, items, readFirst] of [
    ['a generator of exactly bufferSize items, shut down at once', 2, 0],
    ['a generator of 4 read 2 (so all 4 are pulled), then shut down', 4, 2],
  ] as const) {
    // CPython Executor.map(buffersize=…): the next() after the shutdown finds the end, so the map just ends.
    it(`a mapIter whose source turns out to be at its end after the shutdown ends as usual: ${what}`, async () => {
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const it = executor.mapIter(
        async (x: number) => {
          await sleep(10);
          return x;
        },
        (function* () {
          for (let i = 0; i < items; i++) yield i;
        })(),
        { bufferSize: 2 },
      );
      const first = Array.from({ length: readFirst }, () => it.next());
      await vi.advanceTimersByTimeAsync(100);
      expect((await Promise.all(first)).map((r) => r.value)).toEqual([0, 1].slice(0, readFirst));
      void executor.shutdown();
      const got: number[] = [];
      const consumed = (async () => {
        for await (const value of it) got.push(value);
      })().then(
        () => 'ended',
        (e: unknown) => e,
      );
      await vi.advanceTimersByTimeAsync(100);
      expect(await consumed).toBe('ended');
      expect([...(readFirst > 0 ? [0, 1] : []), ...got]).toEqual(Array.from({ length: items }, (_, i) => i));
    });
  }

  it('the same with an async source and ordered: false: results in completion order, then the throw; the source is closed', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 3 });
    let closed = false;
    async function* rows() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const it = executor.mapIter((i: number) => sleep(30 - 10 * i).then(() => i), rows(), {
      ordered: false,
      bufferSize: 3,
    });
    await vi.advanceTimersByTimeAsync(1); // 0, 1, 2 running
    void executor.shutdown();
    const got: unknown[] = [];
    const consumed = (async () => {
      for await (const value of it) got.push(value);
    })().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await consumed).toBeInstanceOf(ExecutorShutdownError);
    expect(got).toEqual([2, 1, 0]);
    expect(closed).toBe(true);
    expect(executor.getSnapshot()).toMatchObject({ succeeded: 3, cancelled: 0, submitted: 3 });
  });

  it('a paused executor: shutdown with cancelFutures resolves; without, it waits for resume', async () => {
    const paused = new AsyncExecutor();
    paused.pause();
    const a = paused.submit(() => 1);
    await paused.shutdown({ cancelFutures: true });
    expect(a.cancelled()).toBe(true);

    const other = new AsyncExecutor();
    other.pause();
    const b = other.submit(() => 2);
    const shut = other.shutdown();
    expect(await isSettled(shut)).toBe(false);
    other.resume(); // a shut-down executor still runs what it accepted
    await shut;
    expect(await b).toBe(2);
  });

  it('worker ids run from 0 to maxWorkers - 1', async () => {
    // cf-taskpool tests/test_shutdown.py::test_task_names (worker names → worker ids)
    const executor = new AsyncExecutor({ maxWorkers: 5, name: 'SpecialPool' });
    const ids = new Set<number>();
    await withTime(
      executor.map(
        async (_: number, { workerId }) => {
          ids.add(workerId);
          await sleep(1);
        },
        range(0, 20),
      ),
    );
    await executor.shutdown();
    expect([...ids].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(executor.getSnapshot().name).toBe('SpecialPool');
  });

  it("the executor's signal still cuts a graceful shutdown short (a second Ctrl-C); once it resolves, no listener is left", async () => {
    const controller = new AbortController();
    const executor = new AsyncExecutor({ signal: controller.signal });
    const write = outcome(executor.submit(({ signal }) => sleep(10_000, signal)));
    await vi.advanceTimersByTimeAsync(1);
    const drained = executor.shutdown({ wait: true });
    await vi.advanceTimersByTimeAsync(10);
    expect(await isSettled(drained)).toBe(false); // waits for the write
    expect(abortListeners(controller.signal)).toBe(1);
    controller.abort(new Error('second SIGINT'));
    await vi.advanceTimersByTimeAsync(0);
    expect(await isSettled(drained)).toBe(true);
    expect((await write).ok).toBe(false);
    expect(abortListeners(controller.signal)).toBe(0);
    // A graceful shutdown with nothing left lets the signal go at once.
    const other = new AbortController();
    const idle = new AsyncExecutor({ signal: other.signal });
    await idle.shutdown();
    expect(abortListeners(other.signal)).toBe(0);
  });

  it('the executor signal shuts down with cancelFutures; the tasks see CancelledError', async () => {
    const controller = new AbortController();
    const executor = new AsyncExecutor({ signal: controller.signal });
    let reason: unknown;
    const f = executor.submit(async ({ signal }) => {
      try {
        await sleep(100, signal);
      } catch (e) {
        reason = e;
        throw e;
      }
    });
    await vi.advanceTimersByTimeAsync(1);
    const why = new Error('SIGINT');
    controller.abort(why);
    await executor.onIdle();
    expect(reason).toBeInstanceOf(CancelledError);
    expect((reason as CancelledError).cause).toBe(why); // the signal's reason, as a map's own signal gives it
    expect(f.cancelled()).toBe(true);
    expect(executor.getSnapshot().shutdown).toBe(true);
  });
});

describe('shutdown({ cancelFutures }) and a mapIter nobody reads', () => {
  it('ends it at once: no listener left on its signal, its source closed, the next read rejects with CancelledError', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const controller = new AbortController();
    let closed = false;
    function* items() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const it = executor.mapIter(async (x: number) => x, items(), { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10); // the buffer fills with finished results; nobody reads them
    expect(abortListeners(controller.signal)).toBe(1);
    await soon(executor.shutdown({ cancelFutures: true }));
    expect(abortListeners(controller.signal)).toBe(0);
    expect(closed).toBe(true);
    expect(await rejection(it.next())).toBeInstanceOf(CancelledError);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});

// mapIter after shutdown(): an async source that waits for its next item (a job queue, a socket, a watcher:
// the SIGINT drain the README describes) is not read again, so the drained iterator throws
// ExecutorShutdownError once its in-flight items are handed over and closes its source, instead of hanging
// on that read (a review's repro). A sync source is read once more, as CPython's buffered map does.
it('a drained mapIter over a queue-like async source ends (ExecutorShutdownError) once its items are handed over', async () => {
  const executor = new AsyncExecutor({ maxWorkers: 2 });
  let closed = false;
  // Four jobs are waiting; then the queue waits for more (none comes: the process is being drained).
  async function* jobs() {
    try {
      for (let i = 0; i < 4; i++) yield i;
      await new Promise<never>(() => {});
    } finally {
      closed = true;
    }
  }
  const it = executor.mapIter(
    async (x: number) => {
      await sleep(10);
      return x;
    },
    jobs(),
    { bufferSize: 4 }, // the four jobs are pulled; no pull is under way at the shutdown
  );
  await vi.advanceTimersByTimeAsync(1);
  void executor.shutdown(); // SIGINT
  const got: number[] = [];
  const consumed = (async () => {
    for await (const value of it) got.push(value);
  })().then(
    () => 'ended as if complete',
    (e: unknown) => e,
  );
  await vi.advanceTimersByTimeAsync(1_000);
  expect(got).toEqual([0, 1, 2, 3]); // every job pulled before the shutdown ran and was handed over
  const outcome = await Promise.race([consumed, Promise.resolve('still hanging')]);
  expect(outcome).toBeInstanceOf(ExecutorShutdownError);
  expect(closed).toBe(true); // the source was closed, not left waiting for a fifth job
});
