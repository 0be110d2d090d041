import { describe, expect, it, vi } from 'vitest';
import { CancelledError, ExecutorShutdownError } from '../errors.js';
import { AsyncExecutor } from '../executor.js';
import type { AsyncFuture } from '../future.js';
import { RateLimiter } from '../rate-limiter.js';
import { Semaphore } from '../semaphore.js';
import type { ExecutorSnapshot, TaskEvent } from '../snapshot.js';
import type { TaskContext } from '../task.js';
import {
  abortListeners,
  deferred,
  flush,
  Gauge,
  outcome,
  rejection,
  sleep,
  useFakeTimers,
  withTime,
} from './test-utils.js';

useFakeTimers();

function expectCountsAddUp(s: ExecutorSnapshot): void {
  expect(s.queued + s.running + s.retrying + s.succeeded + s.failed + s.cancelled).toBe(s.submitted);
}

/** A task that runs until `gate` resolves (ignoring its signal). */
const blocked = (gate: Promise<void>) => () => gate;

describe('submit', () => {
  it('resolves to the task value, awaited directly and through result()', async () => {
    // cf-taskpool tests/test_task_pool.py::test_submit
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const future = executor.submit(async () => {
      await sleep(10);
      return 2 * 8;
    });
    expect(future.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect(await future).toBe(16);
    expect(await future.result()).toBe(16);
    expect(future.state).toBe('succeeded');
  });

  it('accepts a sync function and a non-native thenable', async () => {
    const executor = new AsyncExecutor();
    expect(await executor.submit(() => 'sync')).toBe('sync');
    // biome-ignore lint/suspicious/noThenProperty: a non-native thenable on purpose.
    const thenable: PromiseLike<number> = { then: (ok) => Promise.resolve(ok?.(7)) as never };
    expect(await executor.submit(() => thenable)).toBe(7);
  });

  it('a thenable that calls back twice, late, ends only its own attempt', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    let again: (() => void) | undefined;
    const rogue: PromiseLike<string> = {
      // biome-ignore lint/suspicious/noThenProperty: a misbehaving thenable on purpose.
      then: (ok, fail) => {
        queueMicrotask(() => ok?.('first'));
        again = () => {
          ok?.('again');
          fail?.(new Error('late'));
        };
        return Promise.resolve() as never;
      },
    };
    const a = executor.submit(() => rogue);
    let release!: (v: string) => void;
    const b = executor.submit(() => new Promise<string>((r) => (release = r)));
    expect(await a).toBe('first');
    await Promise.resolve();
    expect(b.running()).toBe(true); // b holds the only worker now
    again?.();
    await Promise.resolve();
    expect(b.running()).toBe(true);
    expect(executor.getSnapshot()).toMatchObject({ running: 1, succeeded: 1, failed: 0 });
    release('b');
    expect(await b).toBe('b');
    expect(executor.getSnapshot()).toMatchObject({ running: 0, succeeded: 2, failed: 0 });
  });

  it("a Promise subclass's own then is what the executor calls", async () => {
    const calls: string[] = [];
    class Tracked<T> extends Promise<T> {
      // biome-ignore lint/suspicious/noThenProperty: overriding then is the point.
      override then<R1 = T, R2 = never>(
        ok?: ((value: T) => R1 | PromiseLike<R1>) | null,
        fail?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
      ): Promise<R1 | R2> {
        calls.push('then');
        return super.then(ok, fail);
      }
    }
    const executor = new AsyncExecutor();
    expect(await executor.submit(() => Tracked.resolve(3))).toBe(3);
    expect(calls.length).toBeGreaterThan(0);
  });

  it('takes a function, not a promise (the "awaitable" form of Python has no JS counterpart)', async () => {
    // cf-taskpool tests/test_task_pool.py::test_submit_awaitable_error — fanout takes only `fn(ctx)`;
    // arguments are closed over, so a promise passed instead of a function is a TypeError.
    const executor = new AsyncExecutor();
    const promise = Promise.resolve(1);
    expect(() => executor.submit(promise as never)).toThrow(new TypeError('fn must be a function, got a promise'));
    const x = 2;
    const y = 8;
    expect(await executor.submit(async () => x * y)).toBe(16); // test_submit_keyword: arguments by closure
  });

  it('rejects with the very error the task threw, and exception() returns it', async () => {
    // cf-taskpool tests/test_task_pool.py::test_exception
    const executor = new AsyncExecutor();
    const error = new RangeError('division by zero');
    const future = executor.submit(async () => {
      await sleep(1);
      throw error;
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(await rejection(future)).toBe(error);
    expect(future.exception()).toBe(error);
    expect(future.state).toBe('failed');
  });

  it.each([
    ['0', 0],
    ['empty string', ''],
    ['null', null],
    ['undefined', undefined],
    ['false', false],
    ['NaN', Number.NaN],
  ])('a falsy throw (%s) still rejects, sync or async', async (_, value) => {
    // cf-taskpool tests/test_task_pool.py::test_swallows_falsey_exceptions (gh-132063)
    const executor = new AsyncExecutor();
    const sync = executor.submit((): number => {
      throw value;
    });
    const async = executor.submit(async (): Promise<number> => {
      await sleep(1);
      throw value;
    });
    await vi.advanceTimersByTimeAsync(1);
    for (const future of [sync, async]) {
      const o = await outcome(future);
      expect(o).toEqual({ ok: false, error: value });
      expect(future.state).toBe('failed');
      expect(future.cancelled()).toBe(false);
      expect(Object.is(future.exception(), value)).toBe(true);
    }
  });

  it('a task that throws CancelledError itself ends cancelled, with that error', async () => {
    // cf-taskpool tests/test_task_pool.py::test_cancellation — as in Python, the future is cancelled().
    const executor = new AsyncExecutor();
    const error = new CancelledError('gave up by itself');
    const future = executor.submit(async () => {
      await sleep(1);
      throw error;
    });
    await vi.advanceTimersByTimeAsync(1);
    expect(await rejection(future)).toBe(error);
    expect(future.state).toBe('cancelled');
    expect(future.cancelled()).toBe(true);
    expect(() => future.exception()).toThrow(error); // a cancelled future raises its CancelledError
    expect(executor.getSnapshot()).toMatchObject({ failed: 0, cancelled: 1 });
  });

  it('throws ExecutorShutdownError synchronously after shutdown', async () => {
    const executor = new AsyncExecutor({ name: 'pool' });
    await executor.shutdown();
    expect(() => executor.submit(() => 1)).toThrow(ExecutorShutdownError);
    expect(() => executor.submit(() => 1)).toThrow('executor "pool" is shut down: cannot submit');
  });
});

describe('pool size', () => {
  it('defaults to 10 workers', async () => {
    // cf-taskpool tests/test_task_pool.py::test_default_workers (Python uses the CPU count; fanout's default is 10)
    const executor = new AsyncExecutor();
    const gate = deferred();
    for (let i = 0; i < 25; i++) executor.submit(blocked(gate.promise));
    expect(executor.getSnapshot()).toMatchObject({ maxWorkers: 10, running: 10, queued: 15 });
    expect(executor.getSnapshot().workers).toHaveLength(10);
    gate.resolve();
    await executor.shutdown();
  });

  it('runs exactly maxWorkers of many blocked tasks', async () => {
    // cf-taskpool tests/test_task_pool.py::test_saturation
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const gate = deferred();
    const gauge = new Gauge();
    const futures = Array.from({ length: 15 * 5 }, () => executor.submit(() => gauge.run(() => gate.promise)));
    await flush();
    expect(executor.getSnapshot()).toMatchObject({ running: 5, queued: 70 });
    expect(gauge.current).toBe(5);
    expect(executor.getSnapshot().workers.every((w) => w.taskId !== undefined)).toBe(true);
    gate.resolve();
    await executor.shutdown();
    expect(gauge.peak).toBe(5);
    expect(futures.every((f) => f.state === 'succeeded')).toBe(true);
  });

  it('reuses the idle worker for sequential tasks', async () => {
    // cf-taskpool tests/test_task_pool.py::test_idle_worker_reuse
    const executor = new AsyncExecutor({ maxWorkers: 5 });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const f = executor.submit(async ({ workerId }) => {
        ids.push(workerId);
        await sleep(1);
      });
      await vi.advanceTimersByTimeAsync(1);
      await f;
    }
    expect(ids).toEqual([0, 0, 0]);
  });

  it('maxWorkers: Infinity starts everything at once', () => {
    const executor = new AsyncExecutor({ maxWorkers: Number.POSITIVE_INFINITY });
    const gate = deferred();
    for (let i = 0; i < 50; i++) executor.submit(blocked(gate.promise));
    expect(executor.getSnapshot()).toMatchObject({ running: 50, queued: 0, maxWorkers: Number.POSITIVE_INFINITY });
    expect(executor.getSnapshot().workers).toHaveLength(50);
    gate.resolve();
  });
});

describe('task context', () => {
  it('passes { signal, attempt, taskId, workerId }', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 3 });
    const seen: TaskContext[] = [];
    const futures = [0, 1, 2].map(() =>
      executor.submit(async (ctx) => {
        seen.push({ signal: ctx.signal, attempt: ctx.attempt, taskId: ctx.taskId, workerId: ctx.workerId });
        await sleep(1);
      }),
    );
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.map((c) => c.taskId)).toEqual(futures.map((f) => f.id));
    expect(seen.map((c) => c.workerId).sort()).toEqual([0, 1, 2]);
    for (const ctx of seen) {
      expect(ctx.signal).toBeInstanceOf(AbortSignal);
      expect(ctx.signal.aborted).toBe(false);
      expect(ctx.attempt).toBe(1);
    }
  });

  it('is exactly { signal, attempt, taskId, workerId }: a spread keeps all four, JSON and toEqual see nothing else', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const seen: TaskContext[] = [];
    const future = executor.submit(
      (ctx) => {
        seen.push(ctx);
        if (ctx.attempt === 1) throw new Error('flaky');
        return JSON.stringify({ item: 7, ctx }); // logging the context
      },
      { retries: 1, retryDelay: 0 },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(JSON.parse(await future)).toEqual({
      item: 7,
      ctx: { signal: {}, attempt: 2, taskId: future.id, workerId: 0 },
    });
    const [first, second] = seen as [TaskContext, TaskContext];
    expect(first).toStrictEqual({ signal: expect.any(AbortSignal), attempt: 1, taskId: future.id, workerId: 0 });
    expect(Object.keys(second).sort()).toEqual(['attempt', 'signal', 'taskId', 'workerId']);
    const passedOn = { ...second, extra: true }; // a wrapper passing the context on
    expect(passedOn.signal).toBe(second.signal);
    expect(passedOn).toMatchObject({ attempt: 2, taskId: future.id, workerId: 0 });
    expect(first.signal).not.toBe(second.signal); // each attempt has its own
  });
});

describe('pause / resume', () => {
  it('queued tasks do not start while paused; running ones go on', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const started: number[] = [];
    const task = (i: number, ms: number) => async () => {
      started.push(i);
      await sleep(ms);
      return i;
    };
    const a = executor.submit(task(0, 10));
    const b = executor.submit(task(1, 20));
    const c = executor.submit(task(2, 10));
    executor.pause();
    expect(executor.getSnapshot().paused).toBe(true);
    const d = executor.submit(task(3, 10));
    await vi.advanceTimersByTimeAsync(50);
    expect(started).toEqual([0, 1]);
    expect(await a).toBe(0);
    expect(await b).toBe(1);
    expect(executor.getSnapshot()).toMatchObject({ running: 0, queued: 2, succeeded: 2 });
    executor.resume();
    expect(started).toEqual([0, 1, 2, 3]);
    expect(executor.getSnapshot().paused).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect([await c, await d]).toEqual([2, 3]);
  });

  it('pause and resume are idempotent and onIdle waits through a pause', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    executor.pause();
    executor.pause();
    const f = executor.submit(() => 'x');
    const idle = outcome(executor.onIdle());
    let isIdle = false;
    void idle.then(() => (isIdle = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(f.state).toBe('queued');
    expect(isIdle).toBe(false);
    executor.resume();
    executor.resume();
    await flush();
    expect(isIdle).toBe(true);
    expect(await f).toBe('x');
  });
});

describe('onIdle', () => {
  it('resolves at once when idle, else when nothing is queued or running', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    await executor.onIdle();
    for (const ms of [10, 30, 20]) executor.submit(() => sleep(ms));
    let idleAt = -1;
    const start = Date.now();
    void executor.onIdle().then(() => (idleAt = Date.now() - start));
    await vi.advanceTimersByTimeAsync(29);
    expect(idleAt).toBe(-1);
    await vi.advanceTimersByTimeAsync(1);
    expect(idleAt).toBe(30);
  });

  it('resolves once a cancelled task has settled, even if its function ignores the signal; the slot stays taken', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const future = executor.submit(() => sleep(50)); // ignores ctx.signal
    await vi.advanceTimersByTimeAsync(10);
    expect(future.cancel()).toBe(true);
    let idle = false;
    void executor.onIdle().then(() => (idle = true));
    await flush();
    expect(idle).toBe(true);
    const next = executor.submit(() => 'next');
    await vi.advanceTimersByTimeAsync(39);
    expect(next.state).toBe('queued'); // the cancelled function still holds the only worker
    await vi.advanceTimersByTimeAsync(1);
    expect(next.state).toBe('succeeded');
  });
});

describe('resize', () => {
  it('growing starts queued tasks at once', () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const gate = deferred();
    for (let i = 0; i < 5; i++) executor.submit(blocked(gate.promise));
    expect(executor.getSnapshot().running).toBe(1);
    executor.resize(3);
    expect(executor.getSnapshot()).toMatchObject({ maxWorkers: 3, running: 3, queued: 2 });
    expect(executor.getSnapshot().workers).toHaveLength(3);
    gate.resolve();
  });

  it('shrinking lets running tasks finish and starts none beyond the new size', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const gauge = new Gauge();
    const overLimit: number[] = [];
    const futures = Array.from({ length: 12 }, (_, i) =>
      executor.submit(() =>
        gauge.run(async () => {
          if (gauge.current > executor.getSnapshot().maxWorkers) overLimit.push(i);
          await sleep(10 + i);
        }),
      ),
    );
    await vi.advanceTimersByTimeAsync(5);
    executor.resize(2);
    expect(gauge.current).toBe(4); // nobody is stopped
    expect(executor.getSnapshot()).toMatchObject({ maxWorkers: 2, running: 4 });
    await vi.advanceTimersByTimeAsync(6); // t = 11: tasks 0 and 1 ended, 2 and 3 still run: nothing starts
    expect(gauge.current).toBe(2);
    expect(executor.getSnapshot()).toMatchObject({ running: 2, queued: 8 });
    await vi.advanceTimersByTimeAsync(1); // t = 12: task 2 ended, one more starts
    expect(gauge.current).toBe(2);
    expect(executor.getSnapshot()).toMatchObject({ running: 2, queued: 7 });
    await executor.shutdown({ wait: false });
    await vi.runAllTimersAsync();
    expect(overLimit).toEqual([]);
    expect(futures.every((f) => f.state === 'succeeded')).toBe(true);
  });

  it('worker ids stay below maxWorkers after a shrink and a grow', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const ids: number[] = [];
    const run = () =>
      executor.submit(async ({ workerId }) => {
        ids.push(workerId);
        await sleep(10);
      });
    for (let i = 0; i < 4; i++) run();
    await vi.advanceTimersByTimeAsync(10);
    executor.resize(2);
    executor.resize(4);
    ids.length = 0;
    for (let i = 0; i < 4; i++) run();
    expect(ids.sort()).toEqual([0, 1, 2, 3]);
    expect(executor.getSnapshot().workers.map((w) => w.id)).toEqual([0, 1, 2, 3]);
    await vi.advanceTimersByTimeAsync(10);
  });
});

describe('priority', () => {
  it('starts higher priorities first, equal ones in submit order', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const gate = deferred();
    executor.submit(blocked(gate.promise));
    const order: string[] = [];
    const submit = (label: string, priority?: number) =>
      executor.submit(() => void order.push(label), priority === undefined ? undefined : { priority });
    submit('0a');
    submit('5a', 5);
    submit('1a', 1);
    submit('5b', 5);
    submit('-1', -1);
    submit('1b', 1);
    submit('0b', 0);
    gate.resolve();
    await executor.onIdle();
    expect(order).toEqual(['5a', '5b', '1a', '1b', '0a', '0b', '-1']);
  });

  it('keeps submit order for many equal priorities', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const gate = deferred();
    executor.submit(blocked(gate.promise));
    const order: number[] = [];
    for (let i = 0; i < 100; i++) executor.submit(() => void order.push(i), { priority: 3 });
    gate.resolve();
    await executor.onIdle();
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  /** Free workers and one semaphore permit, held by a running task until `gate` resolves. */
  function heldPermit() {
    const executor = new AsyncExecutor({ maxWorkers: 10 });
    const semaphore = new Semaphore(1);
    const gate = deferred();
    executor.submit(blocked(gate.promise), { semaphore });
    return { executor, semaphore, gate };
  }

  it('holds where tasks wait for a semaphore permit (free workers, one permit)', async () => {
    const { executor, semaphore, gate } = heldPermit();
    const order: string[] = [];
    const submit = (label: string, priority: number) =>
      executor.submit(() => void order.push(label), { semaphore, priority });
    submit('0a', 0);
    submit('0b', 0);
    submit('5', 5);
    submit('-1', -1);
    submit('1', 1);
    // A caller outside the executor waits at priority 0, after the tasks of priority 0 already waiting.
    const outside = semaphore.acquire().then(() => {
      order.push('acquire');
      semaphore.release();
    });
    submit('0c', 0);
    gate.resolve();
    await executor.onIdle();
    await outside;
    expect(order).toEqual(['5', '1', '0a', '0b', 'acquire', '0c', '-1']);
  });

  it('holds for rising and falling priorities at a semaphore (each new waiter first, or last)', async () => {
    const { executor, semaphore, gate } = heldPermit();
    const order: number[] = [];
    for (const priority of [1, 2, 3, 3, 2, 1]) {
      executor.submit(() => void order.push(priority), { semaphore, priority });
    }
    gate.resolve();
    await executor.onIdle();
    expect(order).toEqual([3, 3, 2, 2, 1, 1]);
  });

  it.each([
    ['the executor', (limit: RateLimiter) => [{ rateLimit: limit }, {}] as const],
    ['the task', (limit: RateLimiter) => [{}, { rateLimit: limit }] as const],
  ])('holds where tasks wait for a token of %s’s rate limiter (free workers)', async (_, where) => {
    const [executorOptions, taskOptions] = where(new RateLimiter({ limit: 1, interval: 1000 }));
    const executor = new AsyncExecutor({ maxWorkers: 10, ...executorOptions });
    const order: string[] = [];
    const t0 = Date.now();
    const submit = (label: string, priority: number) =>
      executor.submit(() => void order.push(`${label}@${Date.now() - t0}`), { ...taskOptions, priority });
    submit('0a', 0); // takes the only token
    submit('0b', 0);
    submit('2', 2);
    submit('-1', -1);
    submit('1', 1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(order).toEqual(['0a@0', '2@1000', '1@2000', '0b@3000', '-1@4000']);
  });
});

describe('signals', () => {
  it('a task signal cancels it while queued: it never starts', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const gate = deferred();
    executor.submit(blocked(gate.promise));
    const controller = new AbortController();
    const fn = vi.fn();
    const future = executor.submit(fn, { signal: controller.signal });
    controller.abort('user left');
    expect(future.state).toBe('cancelled');
    const error = await rejection(future);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).cause).toBe('user left');
    expect(abortListeners(controller.signal)).toBe(0);
    gate.resolve();
    await executor.onIdle();
    expect(fn).not.toHaveBeenCalled();
  });

  it('a task signal aborts a running task: its ctx.signal aborts and the future settles at once', async () => {
    const executor = new AsyncExecutor();
    const controller = new AbortController();
    let ctxSignal: AbortSignal | undefined;
    const future = executor.submit(
      async ({ signal }) => {
        ctxSignal = signal;
        await sleep(1000, signal);
      },
      { signal: controller.signal },
    );
    await vi.advanceTimersByTimeAsync(1);
    controller.abort();
    expect(future.state).toBe('cancelled');
    expect(ctxSignal?.aborted).toBe(true);
    expect(ctxSignal?.reason).toBeInstanceOf(CancelledError);
    expect(await rejection(future)).toBe(ctxSignal?.reason);
  });

  it('an already-aborted task signal cancels at once', () => {
    const executor = new AsyncExecutor();
    const fn = vi.fn();
    const future = executor.submit(fn, { signal: AbortSignal.abort('early') });
    expect(future.state).toBe('cancelled');
    let thrown: unknown;
    try {
      future.exception();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CancelledError);
    expect((thrown as CancelledError).cause).toBe('early');
    expect(fn).not.toHaveBeenCalled();
    expect(executor.getSnapshot()).toMatchObject({ submitted: 1, cancelled: 1, queued: 0 });
  });

  it('removes the task signal listener once the task settles', async () => {
    const executor = new AsyncExecutor();
    const controller = new AbortController();
    const future = executor.submit(() => sleep(5), { signal: controller.signal });
    expect(abortListeners(controller.signal)).toBe(1);
    await vi.advanceTimersByTimeAsync(5);
    await future;
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('the executor signal cancels everything and shuts it down', async () => {
    const controller = new AbortController();
    const executor = new AsyncExecutor({ maxWorkers: 2, signal: controller.signal });
    const signals: AbortSignal[] = [];
    const fn = vi.fn();
    const running = [0, 1].map(() =>
      executor.submit(async ({ signal }) => {
        signals.push(signal);
        await sleep(1000, signal);
      }),
    );
    const queued = executor.submit(fn);
    await vi.advanceTimersByTimeAsync(1);
    controller.abort('stop');
    expect([...running, queued].map((f) => f.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(executor.getSnapshot().shutdown).toBe(true);
    expect(() => executor.submit(() => 1)).toThrow(ExecutorShutdownError);
    expect(abortListeners(controller.signal)).toBe(0);
    await executor.onIdle();
    expect(fn).not.toHaveBeenCalled();
  });

  it('an executor made with an aborted signal is shut down from the start', () => {
    const executor = new AsyncExecutor({ signal: AbortSignal.abort() });
    expect(executor.getSnapshot().shutdown).toBe(true);
    expect(() => executor.submit(() => 1)).toThrow(ExecutorShutdownError);
  });
});

describe('getServerSnapshot', () => {
  it('keeps the configuration, zeroes the activity, and is stable', async () => {
    const executor = new AsyncExecutor({ name: 'x', maxWorkers: 2 });
    const gate = deferred();
    const future = executor.submit(() => gate.promise);
    const idle = executor.getServerSnapshot();
    expect(idle).toEqual({
      name: 'x',
      maxWorkers: 2,
      paused: false,
      shutdown: false,
      queued: 0,
      running: 0,
      retrying: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      submitted: 0,
      workers: [{ id: 0 }, { id: 1 }],
    });
    expect(Object.isFrozen(idle)).toBe(true);
    expect(executor.getServerSnapshot()).toBe(idle);
    expect(executor.getSnapshot().running).toBe(1); // the live one is the live one
    gate.resolve();
    await future;
  });
});

describe('getServerSnapshot, after the executor was used', () => {
  it("is a new executor's of the same configuration: full tokens, not shut down, no worker of an unbounded pool", async () => {
    const options = { name: 'api', maxWorkers: Number.POSITIVE_INFINITY, rateLimit: { limit: 10, interval: 1000 } };
    const used = new AsyncExecutor(options);
    await withTime(Promise.all([1, 2, 3].map(() => used.submit(() => sleep(5)))));
    await used.shutdown();
    expect(used.getSnapshot()).toMatchObject({ shutdown: true, rateLimit: { tokens: 7 } });
    expect(used.getServerSnapshot()).toEqual(new AsyncExecutor(options).getServerSnapshot());
    expect(used.getServerSnapshot()).toMatchObject({ shutdown: false, workers: [], rateLimit: { tokens: 10 } });
  });
});

describe('getSnapshot', () => {
  it('is frozen and the same object until something changes', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2, name: 'snap' });
    const first = executor.getSnapshot();
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.workers)).toBe(true);
    expect(first.workers.every((w) => Object.isFrozen(w))).toBe(true);
    expect(executor.getSnapshot()).toBe(first);
    expect(first).toEqual({
      name: 'snap',
      maxWorkers: 2,
      paused: false,
      shutdown: false,
      queued: 0,
      running: 0,
      retrying: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      submitted: 0,
      workers: [{ id: 0 }, { id: 1 }],
    });
    const f = executor.submit(() => sleep(10));
    const second = executor.getSnapshot();
    expect(second).not.toBe(first);
    expect(first.submitted).toBe(0); // an old snapshot never changes
    expect(executor.getSnapshot()).toBe(second);
    await vi.advanceTimersByTimeAsync(10);
    await f;
    expect(executor.getSnapshot()).not.toBe(second);
    expect(executor.getSnapshot()).toMatchObject({ succeeded: 1, running: 0 });
  });

  it('counts add up: queued + running + retrying + succeeded + failed + cancelled = submitted', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const futures: AsyncFuture<unknown>[] = [];
    futures.push(executor.submit(() => sleep(10)));
    futures.push(
      executor.submit(async () => {
        await sleep(5);
        throw new Error('x');
      }),
    );
    futures.push(
      executor.submit(
        async () => {
          await sleep(1);
          throw new Error('again');
        },
        { retries: 1, retryDelay: 20, jitter: 'none' },
      ),
    );
    futures.push(executor.submit(() => 1));
    futures.push(executor.submit(() => 2));
    expectCountsAddUp(executor.getSnapshot());
    expect(executor.getSnapshot()).toMatchObject({ queued: 3, running: 2 });
    futures[4]?.cancel();
    for (let t = 0; t < 40; t++) {
      await vi.advanceTimersByTimeAsync(1);
      expectCountsAddUp(executor.getSnapshot());
    }
    expect(executor.getSnapshot()).toMatchObject({ submitted: 5, succeeded: 2, failed: 2, cancelled: 1 });
  });

  it('shows what each worker runs and since when', async () => {
    vi.setSystemTime(1_000);
    const executor = new AsyncExecutor({ maxWorkers: 2 }); // nobody subscribed: the times are still those of the starts
    const a = executor.submit(() => sleep(10), { name: 'a' });
    await vi.advanceTimersByTimeAsync(5);
    const b = executor.submit(() => sleep(10));
    await vi.advanceTimersByTimeAsync(2);
    expect(executor.getSnapshot().workers).toEqual([
      { id: 0, taskId: a.id, taskName: 'a', busySince: 1_000 },
      { id: 1, taskId: b.id, busySince: 1_005 },
    ]);
    await vi.advanceTimersByTimeAsync(3);
    expect(executor.getSnapshot().workers).toEqual([{ id: 0 }, { id: 1, taskId: b.id, busySince: 1_005 }]);
  });

  it('a cancelled task that ignores its signal keeps its worker until it returns; nothing else starts there', async () => {
    // SPEC invariant 1: the slot stays taken until the task's promise really settles.
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const zombie = executor.submit(() => sleep(50));
    await vi.advanceTimersByTimeAsync(10);
    zombie.cancel();
    const next = vi.fn();
    const later = executor.submit(next);
    expect(zombie.state).toBe('cancelled');
    expect(executor.getSnapshot().workers).toMatchObject([{ id: 0, taskId: zombie.id }]);
    await vi.advanceTimersByTimeAsync(39);
    expect(next).not.toHaveBeenCalled();
    expect(later.state).toBe('queued');
    await vi.advanceTimersByTimeAsync(1);
    expect(next).toHaveBeenCalledOnce();
  });
});

describe('subscribe', () => {
  it('notifies once for 1,000 completions in one tick', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1000 });
    const gate = deferred();
    const listener = vi.fn();
    const unsubscribe = executor.subscribe(listener);
    for (let i = 0; i < 1000; i++) executor.submit(() => gate.promise);
    await flush();
    expect(listener).toHaveBeenCalledTimes(1); // the 1,000 submits were one burst
    listener.mockClear();
    gate.resolve();
    await flush();
    expect(executor.getSnapshot().succeeded).toBe(1000);
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    executor.submit(() => 1);
    await flush();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(executor.subscriberCount).toBe(0);
  });

  it('an unsubscribe called twice does not end the same listener subscribed again since', async () => {
    const executor = new AsyncExecutor();
    const listener = vi.fn();
    const first = executor.subscribe(listener);
    first();
    executor.subscribe(listener);
    first();
    expect(executor.subscriberCount).toBe(1);
    executor.submit(() => 1);
    await flush();
    expect(listener).toHaveBeenCalled();
  });

  it('the same function subscribed twice (two widgets sharing a callback) stays subscribed until both unsubscribe', async () => {
    const executor = new AsyncExecutor();
    const render = vi.fn();
    const a = executor.subscribe(render);
    const b = executor.subscribe(render);
    expect(executor.subscriberCount).toBe(2);
    a();
    expect(executor.subscriberCount).toBe(1);
    executor.submit(() => 1);
    await flush();
    expect(render).toHaveBeenCalledTimes(1);
    b();
    expect(executor.subscriberCount).toBe(0);
  });

  it('a throwing listener is reported and does not stop the others', async () => {
    const report = vi.fn();
    vi.stubGlobal('reportError', report);
    try {
      const executor = new AsyncExecutor();
      const error = new Error('listener broke');
      const second = vi.fn();
      executor.subscribe(() => {
        throw error;
      });
      executor.subscribe(second);
      executor.submit(() => 1);
      await flush();
      expect(report).toHaveBeenCalledWith(error);
      expect(second).toHaveBeenCalledOnce();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('onEvent', () => {
  it('a listener reading getSnapshot() sees the state the event reports', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    executor.getSnapshot(); // a cached snapshot exists, as after a render
    const seen: string[] = [];
    executor.onEvent((e) => {
      const s = executor.getSnapshot();
      seen.push(`${e.type} submitted=${s.submitted} running=${s.running} queued=${s.queued} cancelled=${s.cancelled}`);
    });
    const a = executor.submit(() => new Promise(() => {}));
    executor.getSnapshot();
    executor.submit(() => 'b'); // queued behind a
    executor.getSnapshot();
    a.cancel();
    await flush();
    expect(seen).toEqual([
      'queued submitted=1 running=0 queued=1 cancelled=0',
      'started submitted=1 running=1 queued=0 cancelled=0',
      'queued submitted=2 running=1 queued=1 cancelled=0',
      'cancelled submitted=2 running=0 queued=1 cancelled=1',
    ]);
  });

  function record(executor: AsyncExecutor): Map<number, TaskEvent[]> {
    const byTask = new Map<number, TaskEvent[]>();
    executor.onEvent((e) => {
      const list = byTask.get(e.taskId) ?? [];
      list.push(e);
      byTask.set(e.taskId, list);
    });
    return byTask;
  }
  const types = (events: TaskEvent[] | undefined) => events?.map((e) => e.type);

  it('delivers queued, started and succeeded / failed / cancelled', async () => {
    vi.setSystemTime(5_000);
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const events = record(executor);
    const error = new Error('bad');
    const ok = executor.submit(() => sleep(10), { name: 'ok' });
    const bad = executor.submit(async () => {
      await sleep(10);
      throw error;
    });
    const waiting = executor.submit(() => 1);
    waiting.cancel('no');
    await vi.advanceTimersByTimeAsync(10);
    const running = executor.submit(({ signal }) => sleep(100, signal));
    await vi.advanceTimersByTimeAsync(10);
    running.cancel();
    await flush();
    expect(types(events.get(ok.id))).toEqual(['queued', 'started', 'succeeded']);
    expect(events.get(ok.id)).toEqual([
      { type: 'queued', taskId: ok.id, name: 'ok', workerId: undefined, attempt: 0, at: 5_000 },
      { type: 'started', taskId: ok.id, name: 'ok', workerId: 0, attempt: 1, at: 5_000 },
      { type: 'succeeded', taskId: ok.id, name: 'ok', workerId: 0, attempt: 1, at: 5_010 },
    ]);
    expect(types(events.get(bad.id))).toEqual(['queued', 'started', 'failed']);
    expect(events.get(bad.id)?.[2]).toMatchObject({ error, workerId: 0, attempt: 1, at: 5_020 });
    expect(types(events.get(waiting.id))).toEqual(['queued', 'cancelled']);
    expect(events.get(waiting.id)?.[1]?.error).toBeInstanceOf(CancelledError);
    expect(types(events.get(running.id))).toEqual(['queued', 'started', 'cancelled']);
  });

  it('a task’s end is heard before what its done callbacks do about it', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 3 });
    const seen: string[] = [];
    executor.onEvent((e) => seen.push(`${e.type} ${e.taskId}`));
    // A map cancels its other items when one fails: the failure first, then the cancellations.
    const mapped = executor.map(
      async (x: number, { signal }) => {
        await sleep(x === 0 ? 5 : 100, signal);
        throw new Error(`item ${x}`);
      },
      [0, 1, 2],
    );
    await expect(withTime(mapped)).rejects.toThrow('item 0');
    const ends = seen.filter((s) => s.startsWith('failed') || s.startsWith('cancelled')).map((s) => s.split(' ')[0]);
    expect(ends).toEqual(['failed', 'cancelled', 'cancelled']);
    // A task submitted from a done callback is queued after the end of the task it follows.
    seen.length = 0;
    const first = executor.submit(() => 1);
    let next = -1;
    first.addDoneCallback(() => {
      next = executor.submit(() => 2).id;
    });
    await executor.onIdle();
    expect(seen.indexOf(`succeeded ${first.id}`)).toBeLessThan(seen.indexOf(`queued ${next}`));
  });

  it('a listener added twice is called twice, and each unsubscribe removes its own registration', async () => {
    const executor = new AsyncExecutor();
    const listener = vi.fn();
    const offFirst = executor.onEvent(listener);
    const offSecond = executor.onEvent(listener);
    await executor.submit(() => 1);
    expect(listener).toHaveBeenCalledTimes(6); // queued, started, succeeded — twice
    offFirst();
    offFirst(); // a second call of the same unsubscribe removes nothing more
    await executor.submit(() => 2);
    expect(listener).toHaveBeenCalledTimes(9);
    offSecond();
    await executor.submit(() => 3);
    expect(listener).toHaveBeenCalledTimes(9);
  });

  it('stops after unsubscribe, and a throwing listener is reported', async () => {
    const report = vi.fn();
    vi.stubGlobal('reportError', report);
    try {
      const executor = new AsyncExecutor();
      const listener = vi.fn();
      const off = executor.onEvent(listener);
      executor.onEvent(() => {
        throw new Error('listener');
      });
      expect(await executor.submit(() => 3)).toBe(3);
      expect(listener).toHaveBeenCalledTimes(3);
      expect(report).toHaveBeenCalledTimes(3);
      off();
      await executor.submit(() => 4);
      expect(listener).toHaveBeenCalledTimes(3);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
