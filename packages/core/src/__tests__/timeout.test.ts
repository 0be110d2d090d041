/**
 * Per-attempt `timeout` (SPEC "Task options", invariant 1; issue 3 "Timeouts").
 * Fake timers throughout.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  asCompleted,
  CancelledError,
  Semaphore,
  type TaskContext,
  TimeoutError,
  wait,
  withTimeout,
} from '../index.js';
import { Gauge, outcomeBox, sleep, useFakeTimers } from './test-utils.js';

/** Resolves with `signal.reason` when the signal aborts (rejects, as a well-behaved task would). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

useFakeTimers({ now: 0 });

describe('the attempt’s signal', () => {
  it('aborts with a TimeoutError naming the task, the limit and the attempt', async () => {
    const executor = new AsyncExecutor();
    const reasons: unknown[] = [];
    const future = executor.submit(
      async ({ signal, attempt }: TaskContext) => {
        if (attempt === 1) throw new Error('plain failure');
        try {
          return await untilAborted(signal);
        } finally {
          reasons.push(signal.reason);
        }
      },
      { name: 'user 7', timeout: 5000, retries: 3, retryDelay: 10, jitter: 'none' },
    );
    const result = outcomeBox(future);
    await vi.advanceTimersByTimeAsync(10 + 4999);
    expect(reasons).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(reasons).toHaveLength(1);
    const reason = reasons[0];
    expect(reason).toBeInstanceOf(TimeoutError);
    expect((reason as TimeoutError).name).toBe('TimeoutError');
    expect((reason as TimeoutError).message).toBe('task "user 7" timed out after 5000 ms (attempt 2 of 4)');
    await vi.runAllTimersAsync();
    expect(result.current?.ok).toBe(false);
    expect(future.attempt).toBe(4);
    // the last attempt's own TimeoutError
    expect((future.exception() as TimeoutError).message).toBe('task "user 7" timed out after 5000 ms (attempt 4 of 4)');
  });

  it('an unnamed task is named by its id; retries: Infinity shows ∞', async () => {
    const executor = new AsyncExecutor();
    const seen: string[] = [];
    const future = executor.submit(
      async ({ signal, attempt }) => {
        if (attempt === 1) {
          await untilAborted(signal).catch((e: unknown) => seen.push((e as Error).message));
          throw signal.reason;
        }
        return 'done';
      },
      { timeout: 250, retries: Number.POSITIVE_INFINITY, retryDelay: 1, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await expect(future).resolves.toBe('done');
    expect(seen).toEqual([`task #${future.id} timed out after 250 ms (attempt 1 of ∞)`]);
  });

  it("a map's item is named by its index too (items share the call's name), in a timeout and a cancellation", async () => {
    const executor = new AsyncExecutor();
    const run = executor.map(
      (ms: number, { signal }: TaskContext) => (ms > 0 ? sleep(ms, signal) : untilAborted(signal)),
      [10, 0, 10],
      { name: 'users', timeout: 50, returnExceptions: true },
    );
    await vi.advanceTimersByTimeAsync(50);
    const results = await run;
    expect((results[1] as TimeoutError).message).toBe('task "users" (item 1) timed out after 50 ms (attempt 1 of 1)');
    const cancelled: { taskId: number; error: unknown }[] = [];
    executor.onEvent((e) => {
      if (e.type === 'cancelled') cancelled.push({ taskId: e.taskId, error: e.error });
    });
    const failing = executor.map(
      async (ms: number, { signal }: TaskContext) => {
        if (ms === 0) throw new Error('first item fails');
        await sleep(ms, signal);
      },
      [0, 10],
    );
    await expect(failing).rejects.toThrow('first item fails');
    expect(cancelled).toHaveLength(1); // the rest of the map
    const [{ taskId, error }] = cancelled as [{ taskId: number; error: unknown }];
    expect((error as CancelledError).message).toBe(`task #${taskId} (item 1) was cancelled`);
    // A submitted task has no index.
    const future = executor.submit(() => sleep(10));
    future.cancel();
    expect(() => future.exception()).toThrow(`task #${future.id} was cancelled`);
  });

  it('a timed-out attempt counts as failed and is retried; times follow timeout + delay', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const starts: number[] = [];
    const future = executor.submit(
      async ({ signal, attempt }) => {
        starts.push(Date.now());
        if (attempt < 3) return untilAborted(signal);
        return `ok on ${attempt}`;
      },
      { timeout: 1000, retries: 3, retryDelay: 100, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await expect(future).resolves.toBe('ok on 3');
    expect(starts).toEqual([0, 1100, 2300]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('without retries left the future rejects with the attempt’s TimeoutError (the signal’s reason)', async () => {
    const executor = new AsyncExecutor();
    let reason: unknown;
    const future = executor.submit(
      async ({ signal }) => {
        try {
          return await untilAborted(signal);
        } finally {
          reason = signal.reason;
        }
      },
      { timeout: 300 },
    );
    const result = outcomeBox(future);
    await vi.advanceTimersByTimeAsync(300);
    expect(future.state).toBe('failed');
    expect(result.current).toEqual({ ok: false, error: reason });
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(executor.getSnapshot()).toMatchObject({ failed: 1, running: 0 });
  });

  it('the timeout timer is cleared when the attempt ends first', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(
      async () => {
        await sleep(10);
        return 1;
      },
      { timeout: 60_000 },
    );
    await vi.advanceTimersByTimeAsync(10);
    await expect(future).resolves.toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    const sync = executor.submit(() => 2, { timeout: 60_000 });
    await expect(sync).resolves.toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancelling a running task clears its timeout timer; the signal’s reason is the CancelledError', async () => {
    const executor = new AsyncExecutor();
    let reason: unknown;
    const future = executor.submit(
      async ({ signal }) => {
        try {
          return await untilAborted(signal);
        } finally {
          reason = signal.reason;
        }
      },
      { timeout: 60_000 },
    );
    await vi.advanceTimersByTimeAsync(5);
    const result = outcomeBox(future);
    future.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(reason).toBeInstanceOf(CancelledError);
    expect(result.current?.ok === false && result.current.error).toBeInstanceOf(CancelledError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the executor’s timeout is every task’s default; a task’s timeout overrides it', async () => {
    const executor = new AsyncExecutor({ timeout: 100 });
    const ends: Record<string, number> = {};
    const task =
      (key: string) =>
      async ({ signal }: TaskContext) => {
        try {
          return await untilAborted(signal);
        } finally {
          ends[key] = Date.now();
        }
      };
    outcomeBox(executor.submit(task('default')));
    outcomeBox(executor.submit(task('own'), { timeout: 700 }));
    await vi.runAllTimersAsync();
    expect(ends).toEqual({ default: 100, own: 700 });
  });

  it('map items each get their own timeout per attempt', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 3 });
    const results = outcomeBox(
      executor.map(
        async (ms: number, { signal }) => {
          await Promise.race([sleep(ms), untilAborted(signal)]);
          return ms;
        },
        [50, 500, 150],
        { timeout: 200, returnExceptions: true },
      ),
    );
    await vi.runAllTimersAsync();
    expect(results.current?.ok).toBe(true);
    const values = results.current?.ok ? results.current.value : [];
    expect(values[0]).toBe(50);
    expect(values[1]).toBeInstanceOf(TimeoutError);
    expect(values[2]).toBe(150);
  });
});

describe('a task that ignores the abort keeps its slot until it really settles (invariant 1)', () => {
  it('the retry waits for the ignoring attempt to finish (maxWorkers: 1)', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const c = new Gauge();
    const starts: string[] = [];
    const a = executor.submit(
      ({ attempt }) =>
        c.run(async () => {
          starts.push(`a${attempt}@${Date.now()}`);
          if (attempt === 1) await sleep(3000); // ignores its signal
          return `a${attempt}`;
        }),
      { timeout: 1000, retries: 1, retryDelay: 100, jitter: 'none', name: 'A' },
    );
    const b = executor.submit(() => c.run(async () => void starts.push(`b@${Date.now()}`)));

    await vi.advanceTimersByTimeAsync(1000);
    // attempt 1 timed out: the task is retrying, but its attempt still holds the only worker
    expect(a.state).toBe('retrying');
    let snap = executor.getSnapshot();
    expect(snap).toMatchObject({ running: 0, retrying: 1, queued: 1 });
    expect(snap.workers).toMatchObject([{ id: 0, taskId: a.id, taskName: 'A' }]);

    await vi.advanceTimersByTimeAsync(1000);
    expect(a.state).toBe('queued');
    expect(starts).toEqual(['a1@0']);

    await vi.advanceTimersByTimeAsync(999);
    expect(starts).toEqual(['a1@0']);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toEqual(['a1@0', 'a2@3000', 'b@3000']);
    await expect(a).resolves.toBe('a2');
    await b;
    expect(c.peak).toBe(1);
    snap = executor.getSnapshot();
    expect(snap).toMatchObject({ running: 0, retrying: 0, queued: 0, succeeded: 2 });
  });

  it('a final timeout rejects at once, but the next task waits for the worker', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const c = new Gauge();
    const log: string[] = [];
    const a = executor.submit(
      () =>
        c.run(async () => {
          await sleep(5000);
          log.push(`a ended@${Date.now()}`);
        }),
      { timeout: 1000 },
    );
    const b = executor.submit(() => c.run(async () => void log.push(`b@${Date.now()}`)));
    const aResult = outcomeBox(a);
    await vi.advanceTimersByTimeAsync(1000);
    expect(aResult.current?.ok === false && aResult.current.error).toBeInstanceOf(TimeoutError);
    expect(b.state).toBe('queued');
    await vi.advanceTimersByTimeAsync(4000);
    expect(log).toEqual(['a ended@5000', 'b@5000']);
    await b;
    expect(c.peak).toBe(1);
  });

  it('cancelling the task while its retry waits for the held worker does not free that worker', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const c = new Gauge();
    const log: string[] = [];
    const a = executor.submit(
      ({ attempt }) =>
        c.run(async () => {
          log.push(`a${attempt}@${Date.now()}`);
          await sleep(3000);
        }),
      { timeout: 1000, retries: 1, retryDelay: 100, jitter: 'none' },
    );
    await vi.advanceTimersByTimeAsync(1500);
    expect(a.state).toBe('queued'); // retry due, waiting for the worker attempt 1 still holds
    expect(a.cancel()).toBe(true);
    outcomeBox(a);
    const b = executor.submit(() => c.run(async () => void log.push(`b@${Date.now()}`)));
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['a1@0']);
    await vi.advanceTimersByTimeAsync(1500);
    expect(log).toEqual(['a1@0', 'b@3000']);
    await b;
    expect(c.peak).toBe(1);
  });

  it('cancelling the task while it is retrying does not free the held worker either', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const c = new Gauge();
    const log: string[] = [];
    const a = executor.submit(() => c.run(() => sleep(3000)), {
      timeout: 1000,
      retries: 1,
      retryDelay: 5000,
      jitter: 'none',
    });
    await vi.advanceTimersByTimeAsync(1200);
    expect(a.state).toBe('retrying');
    a.cancel();
    outcomeBox(a);
    const b = executor.submit(() => c.run(async () => void log.push(`b@${Date.now()}`)));
    await vi.advanceTimersByTimeAsync(1799);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toEqual(['b@3000']);
    await b;
    expect(c.peak).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a semaphore permit stays taken until the ignoring attempt settles', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const c = new Gauge();
    const log: string[] = [];
    const a = executor.submit(() => c.run(() => sleep(2000)), { semaphore, timeout: 500 });
    const b = executor.submit(() => c.run(async () => void log.push(`b@${Date.now()}`)), { semaphore });
    outcomeBox(a);
    await vi.advanceTimersByTimeAsync(500);
    expect(a.state).toBe('failed');
    expect(semaphore.available).toBe(0);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(1500);
    expect(log).toEqual(['b@2000']);
    await b;
    expect(semaphore.available).toBe(1);
    expect(c.peak).toBe(1);
  });

  it('with maxWorkers 2 the retry takes the other worker while the first is still held', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const c = new Gauge();
    const starts: string[] = [];
    const a = executor.submit(
      ({ attempt }) =>
        c.run(async () => {
          starts.push(`a${attempt}@${Date.now()}`);
          if (attempt === 1) await sleep(3000);
          return attempt;
        }),
      { timeout: 1000, retries: 1, retryDelay: 100, jitter: 'none' },
    );
    await vi.advanceTimersByTimeAsync(1100);
    expect(starts).toEqual(['a1@0', 'a2@1100']);
    await expect(a).resolves.toBe(2);
    expect(c.peak).toBe(2);
    expect(executor.getSnapshot().workers.filter((w) => w.taskId !== undefined)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(executor.getSnapshot().workers.filter((w) => w.taskId !== undefined)).toHaveLength(0);
  });
});

describe('timeouts longer than one setTimeout can hold, and Infinity', () => {
  // setTimeout fires at once past 2³¹ − 1 ms; every wait in fanout must still last as long as asked.
  const LONG = 2 ** 31 + 1000;

  it('an attempt timeout past 2³¹ − 1 ms fires when due, not at once', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(({ signal }) => untilAborted(signal), { timeout: LONG });
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(future.state).toBe('running');
    await vi.advanceTimersByTimeAsync(1000);
    expect(future.state).toBe('failed');
    expect(future.exception()).toBeInstanceOf(TimeoutError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('withTimeout, result, wait and asCompleted wait that long too', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(() => sleep(LONG - 10).then(() => 'late'));
    const guarded = outcomeBox(
      withTimeout(
        sleep(LONG - 10).then(() => 'ok'),
        LONG,
      ),
    );
    const result = outcomeBox(future.result({ timeout: LONG }));
    const waited = outcomeBox(wait([future], { timeout: LONG }));
    const seen = outcomeBox(
      (async () => {
        const out: string[] = [];
        for await (const value of asCompleted([future], { timeout: LONG })) out.push(await value);
        return out;
      })(),
    );
    await vi.advanceTimersByTimeAsync(LONG - 10);
    expect(guarded.current).toEqual({ ok: true, value: 'ok' });
    expect(result.current).toEqual({ ok: true, value: 'late' });
    expect(waited.current).toMatchObject({ ok: true, value: { pending: new Set() } });
    expect(seen.current).toEqual({ ok: true, value: ['late'] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a long withTimeout still times out when due, and clearing it leaves no timer', async () => {
    const late = outcomeBox(withTimeout(new Promise(() => {}), LONG));
    await vi.advanceTimersByTimeAsync(LONG - 1);
    expect(late.current).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(late.current).toMatchObject({ ok: false, error: expect.any(TimeoutError) });
    const executor = new AsyncExecutor();
    const future = executor.submit(() => new Promise(() => {}), { timeout: LONG });
    await vi.advanceTimersByTimeAsync(2 ** 31); // the first link of the chain has fired and re-armed
    future.cancel();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Infinity never times out and holds no timer: withTimeout, result, wait, asCompleted', async () => {
    const executor = new AsyncExecutor();
    let finish!: (v: string) => void;
    const future = executor.submit(() => new Promise<string>((resolve) => (finish = resolve)), { timeout: Infinity });
    const guarded = outcomeBox(
      withTimeout(
        future.then((v) => `${v}!`),
        Infinity,
      ),
    );
    const result = outcomeBox(future.result({ timeout: Infinity }));
    const waited = outcomeBox(wait([future], { timeout: Infinity }));
    const seen = outcomeBox(
      (async () => {
        for await (const value of asCompleted([future], { timeout: Infinity })) return await value;
      })(),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * LONG);
    expect([guarded.current, result.current, waited.current, seen.current]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    finish('done');
    await vi.advanceTimersByTimeAsync(0);
    expect(guarded.current).toEqual({ ok: true, value: 'done!' });
    expect(result.current).toEqual({ ok: true, value: 'done' });
    expect(waited.current).toMatchObject({ ok: true });
    expect(seen.current).toEqual({ ok: true, value: 'done' });
  });

  it('with fake timers that fake setTimeout but not the clock, a long wait still ends when due', async () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const late = outcomeBox(withTimeout(new Promise(() => {}), LONG));
    await vi.advanceTimersByTimeAsync(LONG - 1);
    expect(late.current).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(late.current).toMatchObject({ ok: false, error: expect.any(TimeoutError) });
  });

  it('retry delays past 2³¹ − 1 ms wait as long as asked', async () => {
    const executor = new AsyncExecutor();
    const starts: number[] = [];
    const future = executor.submit(
      () => {
        starts.push(Date.now());
        throw new Error('again');
      },
      { retries: 1, retryDelay: LONG, maxRetryDelay: LONG, jitter: 'none' },
    );
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(starts).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts).toEqual([0, LONG]);
    expect(future.state).toBe('failed');
  });
});
