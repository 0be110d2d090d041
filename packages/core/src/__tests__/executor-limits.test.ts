/**
 * Semaphore and RateLimiter *through the executor* (SPEC "ExecutorOptions",
 * "Task options", invariant 1; issue 3 "Semaphore and RateLimiter").
 * The utilities alone are covered by semaphore.test.ts / rate-limiter.test.ts.
 * Ports: antflow shared-semaphore concurrency (`max_active == 2`).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  CancelledError,
  HttpError,
  RateLimiter,
  Semaphore,
  type TaskContext,
  type TaskEvent,
} from '../index.js';
import { flush, Gauge, maxInWindow, outcomeBox, sleep, useFakeTimers } from './test-utils.js';

useFakeTimers({ now: 0 });

describe('semaphore option', () => {
  it('a semaphore shared by the tasks of two executors never exceeds its permits', async () => {
    // antflow test_executor.py shared semaphore: max_active == 2
    const semaphore = new Semaphore(2);
    const one = new AsyncExecutor({ maxWorkers: 3 });
    const two = new AsyncExecutor({ maxWorkers: 3 });
    const g = new Gauge();
    const task = (ms: number) => () => g.run(() => sleep(ms).then(() => ms));
    const futures = [10, 30, 20, 50, 10, 40, 30, 20].map((ms, i) =>
      (i % 2 ? one : two).submit(task(ms), { semaphore }),
    );
    await vi.runAllTimersAsync();
    expect(await Promise.all(futures)).toEqual([10, 30, 20, 50, 10, 40, 30, 20]);
    expect(g.peak).toBe(2);
    expect(semaphore.available).toBe(2);
    expect(semaphore.waiting).toBe(0);
  });

  it('a task waiting for a permit holds no worker: other tasks run meanwhile', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const log: string[] = [];
    const a = executor.submit(() => sleep(100).then(() => log.push(`a done@${Date.now()}`)), { semaphore });
    const b = executor.submit(() => void log.push(`b@${Date.now()}`), { semaphore });
    const c = executor.submit(() => sleep(10).then(() => log.push(`c done@${Date.now()}`)));
    const d = executor.submit(() => sleep(10).then(() => log.push(`d done@${Date.now()}`)));
    await vi.advanceTimersByTimeAsync(0);
    expect(b.state).toBe('queued');
    expect(executor.getSnapshot()).toMatchObject({ running: 2, queued: 2 });
    await vi.runAllTimersAsync();
    await Promise.all([a, b, c, d]);
    expect(log).toEqual(['c done@10', 'd done@20', 'a done@100', 'b@100']);
  });

  it('cancelling a task waiting for a permit takes it out of the semaphore’s queue', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const a = executor.submit(() => sleep(100), { semaphore });
    const b = executor.submit(() => 'b', { semaphore });
    await vi.advanceTimersByTimeAsync(0);
    expect(semaphore.waiting).toBe(1);
    outcomeBox(b);
    expect(b.cancel()).toBe(true);
    expect(semaphore.waiting).toBe(0);
    await vi.runAllTimersAsync();
    await a;
    expect(semaphore.available).toBe(1);
    expect(() => b.exception()).toThrow(CancelledError);
  });

  it('a failing attempt gives its permit back between retries', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const log: string[] = [];
    const a = executor.submit(
      ({ attempt }) => {
        log.push(`a${attempt}@${Date.now()}`);
        if (attempt === 1) throw new Error('x');
        return 'a';
      },
      { semaphore, retries: 1, retryDelay: 100, jitter: 'none' },
    );
    const b = executor.submit(() => sleep(50).then(() => log.push(`b@${Date.now()}`)), { semaphore });
    await vi.runAllTimersAsync();
    await Promise.all([a, b]);
    expect(log).toEqual(['a1@0', 'b@50', 'a2@100']);
  });
});

describe('semaphore option: a task cancelled while the permit is on its way', () => {
  it('never starts, and the counts add up (the permit released on settling must not drain it)', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    await semaphore.acquire(); // held outside the executor
    let ran = false;
    const t = executor.submit(
      () => {
        ran = true;
      },
      { semaphore },
    );
    const w = executor.submit(() => 'w', { semaphore });
    const b = executor.submit(() => sleep(10)); // takes the only worker
    setTimeout(() => semaphore.release(), 5); // the permit goes to t, which then waits for the worker
    b.addDoneCallback(() => t.cancel());
    await vi.advanceTimersByTimeAsync(50);
    expect(ran).toBe(false);
    expect(t.state).toBe('cancelled');
    expect(w.state).toBe('succeeded');
    expect(executor.getSnapshot()).toMatchObject({ queued: 0, running: 0, succeeded: 2, cancelled: 1, submitted: 3 });
    expect(semaphore.available).toBe(1);
    await expect(executor.onIdle()).resolves.toBeUndefined();
  });

  it('gives its permit back, also when the queue is ordered by priority', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    await semaphore.acquire();
    const t = executor.submit(() => 't', { semaphore });
    executor.submit(() => sleep(5), { semaphore });
    const b1 = executor.submit(() => sleep(10));
    executor.submit(() => sleep(20));
    executor.submit(() => 'low', { priority: -1 }); // the queue becomes a heap
    setTimeout(() => semaphore.release(), 5);
    b1.addDoneCallback(() => t.cancel());
    await vi.advanceTimersByTimeAsync(100);
    const later = executor.submit(() => 'later', { semaphore });
    await vi.advanceTimersByTimeAsync(100);
    expect(later.state).toBe('succeeded');
    expect([semaphore.available, semaphore.waiting]).toEqual([1, 0]);
  });
});

describe('semaphore option: a paused executor holds no permits', () => {
  it('its tasks leave the semaphore’s queue, so another executor sharing it goes ahead; resume asks again in order', async () => {
    const semaphore = new Semaphore(1);
    const paused = new AsyncExecutor({ maxWorkers: 4 });
    const other = new AsyncExecutor({ maxWorkers: 4 });
    const log: string[] = [];
    const job = (name: string, ms: number) => () => {
      log.push(`${name}@${Date.now()}`);
      return sleep(ms);
    };
    other.submit(job('x', 10), { semaphore }); // holds the permit until 10
    const a = paused.submit(job('a', 10), { semaphore });
    const b = paused.submit(job('b', 10), { semaphore });
    expect(semaphore.waiting).toBe(2);
    paused.pause();
    expect(semaphore.waiting).toBe(0);
    expect(paused.getSnapshot()).toMatchObject({ queued: 2, running: 0 });
    const y = other.submit(job('y', 10), { semaphore });
    await vi.advanceTimersByTimeAsync(50);
    expect(y.state).toBe('succeeded');
    expect(log).toEqual(['x@0', 'y@10']);
    expect([a.state, b.state]).toEqual(['queued', 'queued']);
    paused.resume();
    await vi.advanceTimersByTimeAsync(50);
    expect(log).toEqual(['x@0', 'y@10', 'a@50', 'b@60']);
    expect([semaphore.available, semaphore.waiting]).toEqual([1, 0]);
  });

  it('a permit granted while every worker was busy is given back on pause, not kept until resume', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const holder = await semaphore.acquire().then(() => 'outside');
    const t = executor.submit(() => 't', { semaphore }); // waits for the permit, holding no worker
    executor.submit(() => sleep(20)); // takes the only worker
    semaphore.release(); // the permit goes to t, which now waits for the worker
    expect([holder, semaphore.available, semaphore.waiting]).toEqual(['outside', 0, 0]);
    executor.pause();
    expect(semaphore.available).toBe(1);
    await semaphore.acquire(); // somebody else can have it now
    semaphore.release();
    await vi.advanceTimersByTimeAsync(50);
    expect(t.state).toBe('queued');
    executor.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.state).toBe('succeeded');
    expect(executor.getSnapshot()).toMatchObject({ queued: 0, running: 0, succeeded: 2 });
    expect([semaphore.available, semaphore.waiting]).toEqual([1, 0]);
  });

  it('cancelling everything while paused after giving permits back settles every task once', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    await semaphore.acquire();
    const tasks = [0, 1, 2].map((i) => executor.submit(() => i, { semaphore }));
    executor.submit(() => sleep(20));
    semaphore.release(); // tasks[0] holds the permit, waiting for the worker
    executor.pause();
    const settled: number[] = [];
    for (const t of tasks) t.addDoneCallback(() => settled.push(t.id));
    executor.cancelAll();
    await vi.advanceTimersByTimeAsync(50);
    expect(settled.sort()).toEqual(tasks.map((t) => t.id).sort());
    expect(executor.getSnapshot()).toMatchObject({ queued: 0, running: 0, cancelled: 4 });
    expect([semaphore.available, semaphore.waiting]).toEqual([1, 0]);
  });
});

describe('executor rateLimit', () => {
  it('every start takes a token: limit 2 / 1000 ms → starts at 0, 0, 1000, 1000, 2000, 2000', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10, rateLimit: { limit: 2, interval: 1000 } });
    const starts: number[] = [];
    const futures = [0, 1, 2, 3, 4, 5].map((i) => executor.submit(() => starts.push(Date.now()) && i));
    await vi.runAllTimersAsync();
    expect(await Promise.all(futures)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(starts).toEqual([0, 0, 1000, 1000, 2000, 2000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('every attempt takes a token, retries included', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10, rateLimit: { limit: 2, interval: 1000 } });
    const log: string[] = [];
    const a = executor.submit(
      ({ attempt }) => {
        log.push(`a${attempt}@${Date.now()}`);
        if (attempt === 1) throw new Error('x');
        return 'a';
      },
      { retries: 1, retryDelay: 10, jitter: 'none' },
    );
    const b = executor.submit(() => void log.push(`b@${Date.now()}`));
    await vi.runAllTimersAsync();
    await Promise.all([a, b]);
    expect(log).toEqual(['a1@0', 'b@0', 'a2@1000']);
  });

  it('a 429 with retryAfterMs waits for it, then takes a token like any attempt', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4, rateLimit: { limit: 2, interval: 1000 } });
    const starts: string[] = [];
    const p = executor.map(
      async (i: number, { attempt }: TaskContext) => {
        starts.push(`${i}.${attempt}@${Date.now()}`);
        if (i === 0 && attempt === 1) {
          throw new HttpError({
            status: 429,
            statusText: 'Too Many Requests',
            url: 'http://api/0',
            retryAfterMs: 5000,
          });
        }
        return i;
      },
      [0, 1, 2, 3, 4],
      { retries: 2, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual([0, 1, 2, 3, 4]);
    expect(starts).toEqual(['0.1@0', '1.1@0', '2.1@1000', '3.1@1000', '4.1@2000', '0.2@5000']);
    expect(executor.getSnapshot().rateLimit).toBeDefined();
  });

  it('a task waiting for a token is queued; the snapshot shows tokens and nextTokenAt', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 5, rateLimit: { limit: 2, interval: 1000 } });
    expect(executor.getSnapshot().rateLimit).toEqual({ tokens: 2, nextTokenAt: undefined });
    const futures = [0, 1, 2].map(() => executor.submit(() => sleep(10)));
    await vi.advanceTimersByTimeAsync(0);
    let snap = executor.getSnapshot();
    expect(snap.rateLimit).toEqual({ tokens: 0, nextTokenAt: 1000 });
    expect(snap).toMatchObject({ running: 2, queued: 1 });
    expect(futures[2]?.state).toBe('queued');
    await vi.advanceTimersByTimeAsync(1000);
    snap = executor.getSnapshot();
    expect(snap).toMatchObject({ running: 1, succeeded: 2, queued: 0 });
    // refilled to 2 at 1000, one taken by the third task
    expect(snap.rateLimit).toEqual({ tokens: 1, nextTokenAt: undefined });
    const d = executor.submit(() => sleep(10));
    await vi.advanceTimersByTimeAsync(0);
    expect(executor.getSnapshot().rateLimit).toEqual({ tokens: 0, nextTokenAt: 2000 });
    await vi.runAllTimersAsync();
    await Promise.all([...futures, d]);
    // Nothing changed (the bucket has refilled to full by now): the same object.
    vi.setSystemTime(Date.now() + 5000);
    const idle = executor.getSnapshot();
    vi.setSystemTime(Date.now() + 5000);
    expect(executor.getSnapshot()).toBe(idle);
    await executor.submit(() => 1);
    const afterTake = executor.getSnapshot();
    expect(afterTake.rateLimit).toEqual({ tokens: 1, nextTokenAt: undefined });
    // A refill alone is seen when the snapshot is read (once the start has left the 1,000 ms window),
    // from the next synchronous stretch on: within one, every call gets the same answer.
    vi.setSystemTime(Date.now() + 1000);
    expect(executor.getSnapshot()).toBe(afterTake);
    await Promise.resolve();
    expect(executor.getSnapshot()).not.toBe(afterTake);
    expect(executor.getSnapshot().rateLimit).toEqual({ tokens: 2, nextTokenAt: undefined });
    // no snapshot without a rate limit
    expect(new AsyncExecutor().getSnapshot().rateLimit).toBeUndefined();
  });

  it('with a bucket smaller than the limit, subscribers hear each token as it arrives', async () => {
    const executor = new AsyncExecutor({ rateLimit: { limit: 4, interval: 1000, burst: 1 } });
    const seen: string[] = [];
    const t0 = Date.now();
    executor.subscribe(() => seen.push(`${executor.getSnapshot().rateLimit?.tokens}@${Date.now() - t0}`));
    await executor.submit(() => 'a'); // the one token is taken; the next arrives at 250
    seen.length = 0;
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual(['1@250']);
    await executor.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('subscribers hear the tokens come back, one notification per rise, and no timer is kept for nobody', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 5, rateLimit: { limit: 4, interval: 1000 } });
    const seen: string[] = [];
    const t0 = Date.now();
    const snapshots = new Set<object>();
    const unsubscribe = executor.subscribe(() => {
      const snapshot = executor.getSnapshot();
      snapshots.add(snapshot);
      seen.push(`${snapshot.rateLimit?.tokens}@${Date.now() - t0}`);
    });
    await Promise.all([0, 1, 2, 3].map((i) => executor.submit(() => i))); // the bucket is empty
    expect(executor.getSnapshot().rateLimit?.tokens).toBe(0);
    seen.length = 0;
    snapshots.clear();
    await vi.advanceTimersByTimeAsync(1000);
    // A token arrives every 250 ms, but the window holds the 4 starts until 1000: the subscriber is told
    // once, when the tokens rise (not at each token that changes nothing), and the snapshot changes then.
    expect(seen).toEqual(['4@1000']);
    expect(snapshots.size).toBe(seen.length); // a new snapshot only with new tokens
    expect(vi.getTimerCount()).toBe(0); // full: nothing left to watch
    // Drained again, then nobody listening: no timer.
    await executor.submit(() => 'a');
    expect(vi.getTimerCount()).toBe(1);
    unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    // Subscribed again: the rise is heard; shut down: the timer goes.
    executor.subscribe(() => seen.push(`${executor.getSnapshot().rateLimit?.tokens}`));
    expect(vi.getTimerCount()).toBe(1);
    await executor.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('in Node the tokens timer never keeps the process alive, however long the interval (a chain of timers past 2³¹ ms)', async () => {
    vi.useRealTimers();
    for (const interval of [60_000, 2 ** 31 + 1000]) {
      const executor = new AsyncExecutor({ rateLimit: { limit: 1, interval } });
      const unsubscribe = executor.subscribe(() => {});
      await executor.submit(() => 1);
      const armed = vi.spyOn(globalThis, 'setTimeout');
      try {
        expect(executor.getSnapshot().rateLimit?.tokens).toBe(0); // arms the timer for the next token
        expect(armed).toHaveBeenCalledTimes(1);
        const timer = armed.mock.results[0]?.value as NodeJS.Timeout | undefined;
        expect(timer?.hasRef()).toBe(false);
      } finally {
        armed.mockRestore();
      }
      unsubscribe();
      await executor.shutdown();
    }
  });

  it('tokens taken through a shared limiter by another executor: a subscriber shown them gone hears them come back', async () => {
    const shared = new RateLimiter({ limit: 2, interval: 1000 });
    const a = new AsyncExecutor({ rateLimit: shared });
    const b = new AsyncExecutor({ rateLimit: shared });
    const seen: number[] = [];
    a.subscribe(() => seen.push(a.getSnapshot().rateLimit?.tokens as number));
    await b.submit(() => 1);
    await b.submit(() => 2);
    await Promise.resolve(); // a later synchronous stretch: a's snapshot is read afresh
    expect(a.getSnapshot().rateLimit?.tokens).toBe(0); // as a render of a would show it
    await vi.advanceTimersByTimeAsync(1500);
    expect(shared.tokens).toBe(2);
    expect(seen.at(-1)).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with a bucket smaller than the limit, subscribers hear each token arrive', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 5, rateLimit: { limit: 10, interval: 1000, burst: 2 } });
    const seen: string[] = [];
    const t0 = Date.now();
    executor.subscribe(() => seen.push(`${executor.getSnapshot().rateLimit?.tokens}@${Date.now() - t0}`));
    await Promise.all([executor.submit(() => 0), executor.submit(() => 1)]);
    seen.length = 0;
    await vi.advanceTimersByTimeAsync(500);
    expect(seen).toEqual(['1@100', '2@200']); // one token every 100 ms, up to the bucket's 2
    expect(vi.getTimerCount()).toBe(0);
  });

  it('pause holds tasks waiting for tokens; resume starts them, never above the rate', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 5, rateLimit: { limit: 1, interval: 1000 } });
    const starts: number[] = [];
    const futures = [0, 1, 2].map((i) => executor.submit(() => starts.push(Date.now()) && i));
    await vi.advanceTimersByTimeAsync(500);
    expect(starts).toEqual([0]);
    executor.pause();
    await vi.advanceTimersByTimeAsync(2000); // tokens arrive at 1000 and 2000 while paused
    expect(starts).toEqual([0]);
    expect(executor.getSnapshot()).toMatchObject({ paused: true, queued: 2, running: 0 });
    executor.resume();
    await vi.runAllTimersAsync();
    expect(await Promise.all(futures)).toEqual([0, 1, 2]);
    expect(starts[0]).toBe(0);
    // Tokens granted during the pause are given up (a task keeps none across a pause), so the
    // first start after resume is at the resume or later, and the rate still holds.
    expect(starts[1]).toBeGreaterThanOrEqual(2500);
    expect(maxInWindow(starts, 1000)).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts stay within the rate as the tasks record them, even when time passes between a grant and its start', async () => {
    // A pause (a GC, a slow synchronous step) right after the first admission: its task starts 10 ms
    // after the token was taken. The admission is logged when the start really happened, so the
    // next window opens 1,000 ms after that, not after the token.
    let paused = false;
    class PausingLimiter extends RateLimiter {
      protected override admitted(): void {
        if (paused) return;
        paused = true;
        vi.setSystemTime(Date.now() + 10);
      }
    }
    const executor = new AsyncExecutor({ rateLimit: new PausingLimiter({ limit: 2, interval: 1000 }) });
    const starts: number[] = [];
    const futures = [0, 1, 2, 3].map((i) => executor.submit(() => starts.push(Date.now()) && i));
    await vi.runAllTimersAsync();
    expect(await Promise.all(futures)).toEqual([0, 1, 2, 3]);
    expect(starts[0]).toBe(10);
    expect(maxInWindow(starts, 1000)).toBe(2);
  });

  it('RateLimiter.run(fn) calls fn in its grant: work between the grant and the start cannot push the start past its log', async () => {
    // A task granted in the same refill as a direct run(fn) caller does 20 ms of synchronous work after
    // its first await; had fn waited for `await acquire()`, it would start then, 20 ms after its logged
    // admission, and with the next refill three starts would fall within one interval.
    const limiter = new RateLimiter({ limit: 2, interval: 100 });
    const executor = new AsyncExecutor({ maxWorkers: 4, rateLimit: limiter });
    const starts: number[] = [];
    const record = () => {
      starts.push(Date.now());
    };
    expect([limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true]); // at 0: full until 100
    const all = [
      executor.submit(async () => {
        record();
        await null;
        vi.setSystemTime(Date.now() + 20); // 20 ms of synchronous work (a big JSON.parse)
      }),
      limiter.run(record),
      executor.submit(record),
      executor.submit(record),
    ];
    await vi.runAllTimersAsync();
    await Promise.all(all);
    expect(starts.slice(0, 2)).toEqual([100, 100]); // (the clock the next two read was moved on 20 ms)
    expect(starts).toHaveLength(4);
    expect(maxInWindow([0, 0, ...starts], 100)).toBe(2);
  });

  it('a task cancelled while it waited for a token ends with no worker in its event (it never ran)', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2, rateLimit: { limit: 1, interval: 1000 } });
    const events: TaskEvent[] = [];
    executor.onEvent((e) => events.push(e));
    executor.submit(() => sleep(10));
    const waiting = executor.submit(() => 'never');
    await vi.advanceTimersByTimeAsync(1);
    waiting.cancel();
    const cancelled = events.find((e) => e.taskId === waiting.id && e.type === 'cancelled');
    expect(cancelled).toMatchObject({ attempt: 0, workerId: undefined });
    await executor.shutdown({ cancelFutures: true });
  });

  it('cancelling a retry that waits for a token frees its worker too', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1, rateLimit: { limit: 1, interval: 1000 } });
    const a = executor.submit(
      () => {
        throw new Error('boom');
      },
      { retries: 1, retryDelay: 10, jitter: 'none' },
    );
    outcomeBox(a);
    await vi.advanceTimersByTimeAsync(20); // the retry holds the only worker, waiting for the token due at 1000
    expect(a.state).toBe('queued');
    expect(a.cancel()).toBe(true);
    const b = executor.submit(() => 'b');
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.state).toBe('succeeded');
    expect(executor.getSnapshot().workers.every((w) => w.taskId === undefined)).toBe(true);
  });

  it('cancelling a task that waits for a token leaves the limiter’s queue and frees the worker', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 1000 });
    const executor = new AsyncExecutor({ maxWorkers: 1, rateLimit: limiter });
    const log: string[] = [];
    const a = executor.submit(() => void log.push(`a@${Date.now()}`));
    const b = executor.submit(() => void log.push(`b@${Date.now()}`));
    await vi.advanceTimersByTimeAsync(0);
    expect(limiter.waiting).toBe(1);
    outcomeBox(b);
    b.cancel();
    expect(limiter.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    const c = executor.submit(() => void log.push(`c@${Date.now()}`));
    await vi.runAllTimersAsync();
    await Promise.all([a, c]);
    expect(log).toEqual(['a@0', 'c@1000']);
  });
});

describe('priority at the rate limiter when every worker waits for a token', () => {
  it('a later task of higher priority takes the slot of a lower one that only waits for a token, and starts first', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2, rateLimit: { limit: 1, interval: 100 } });
    const order: string[] = [];
    const task = (name: string) => () => {
      order.push(name);
    };
    executor.submit(task('first')); // takes the only token
    executor.submit(task('low 1')); // holds a worker, waiting for a token
    executor.submit(task('low 2')); // holds the other
    executor.submit(task('high'), { priority: 9 });
    expect(executor.getSnapshot()).toMatchObject({ queued: 3, running: 0 }); // all three count as queued
    expect(executor.getSnapshot().workers.map((w) => w.taskId)).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(400);
    expect(order).toEqual(['first', 'high', 'low 1', 'low 2']);
    expect(executor.getSnapshot()).toMatchObject({ queued: 0, succeeded: 4 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a task granted a permit is next in line too: it takes the slot of a lower task waiting for a token', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 1, rateLimit: { limit: 1, interval: 100 } });
    const order: string[] = [];
    await semaphore.acquire(); // held outside for a moment
    executor.submit(() => void order.push('first')); // takes the only token
    executor.submit(() => void order.push('high'), { priority: 5, semaphore }); // waits for the permit, no worker
    executor.submit(() => void order.push('low')); // takes the worker, waits for a token
    semaphore.release(); // 'high' gets the permit while 'low' holds the worker
    await vi.advanceTimersByTimeAsync(500);
    expect(order).toEqual(['first', 'high', 'low']);
  });

  it('a cancelled task at the head of the queue does not keep the next one from taking the slot', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 1, rateLimit: { limit: 1, interval: 100 } });
    const order: string[] = [];
    await semaphore.acquire();
    executor.submit(() => void order.push('low'), { semaphore }); // waits for the permit, no worker
    executor.submit(async () => {
      order.push('first');
      await sleep(50);
    }); // the token and the worker for 50 ms
    const cancelled = executor.submit(() => void order.push('cancelled'), { priority: 2 });
    executor.submit(() => void order.push('high'), { priority: 1 });
    cancelled.cancel(); // stays at the head of the queue until the queue reaches it
    semaphore.release(); // 'low' has its permit: the first to take the worker when it frees, to wait for a token
    await vi.advanceTimersByTimeAsync(500);
    expect(order).toEqual(['first', 'high', 'low']);
  });

  it('no slot is taken for a task that could not use it (its permit is held by the holder): the holder keeps its place at the limiter', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 100 });
    const semaphore = new Semaphore(1);
    const e0 = new AsyncExecutor({ maxWorkers: 1, rateLimit: limiter });
    const e1 = new AsyncExecutor({ maxWorkers: 1, rateLimit: limiter });
    const order: string[] = [];
    e0.submit(() => void order.push('X')); // takes the only token
    e1.submit(() => void order.push('A'), { semaphore }); // permit and worker; first in the limiter's queue
    e0.submit(() => void order.push('Y')); // behind A
    e1.submit(() => void order.push('B'), { semaphore, priority: 1 }); // needs A's permit
    await vi.advanceTimersByTimeAsync(500);
    expect(order).toEqual(['X', 'A', 'B', 'Y']); // A waited first; B (priority 1) passes Y at the limiter
  });

  it('the higher of a task granted a permit and the queue head is next in line; one that cannot use a slot waits at its gate and the next one is looked at', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 1, rateLimit: { limit: 1, interval: 100 } });
    const order: string[] = [];
    await semaphore.acquire(); // held outside
    executor.submit(() => void order.push('first')); // takes the only token
    executor.submit(() => void order.push('low, granted'), { priority: -1, semaphore }); // waits for the permit
    executor.submit(() => void order.push('holder')); // the worker, waiting for a token
    await flush();
    semaphore.release(); // 'low, granted' gets it while the worker is held: first of the granted ones
    executor.submit(() => void order.push('high'), { priority: 5 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(order.indexOf('high')).toBeLessThan(order.indexOf('holder'));

    const other = new Semaphore(1);
    const second = new AsyncExecutor({ maxWorkers: 1, rateLimit: { limit: 1, interval: 100 } });
    const seen: string[] = [];
    await other.acquire(); // held outside for long
    second.submit(() => void seen.push('first'));
    second.submit(() => void seen.push('holder')); // the worker, waiting for a token
    second.submit(() => void seen.push('top, no permit'), { priority: 5, semaphore: other });
    second.submit(() => void seen.push('next'), { priority: 4 });
    await vi.advanceTimersByTimeAsync(1000);
    other.release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen.indexOf('next')).toBeLessThan(seen.indexOf('holder'));
    expect(seen).toHaveLength(4);
  });

  it('a slot holder with a semaphore permit keeps its permit when it gives the slot up', async () => {
    const semaphore = new Semaphore(1);
    const executor = new AsyncExecutor({ maxWorkers: 1, rateLimit: { limit: 1, interval: 100 } });
    const order: string[] = [];
    executor.submit(() => void order.push('first'));
    executor.submit(() => void order.push('low, with the permit'), { semaphore });
    executor.submit(() => void order.push('high'), { priority: 9 });
    expect(semaphore.available).toBe(0); // still held by the low task, now waiting without a slot
    await vi.advanceTimersByTimeAsync(400);
    expect(order).toEqual(['first', 'high', 'low, with the permit']);
    expect(semaphore.available).toBe(1);
    expect(executor.getSnapshot()).toMatchObject({ queued: 0, succeeded: 3 });
  });
});

describe('per-task and per-map rateLimit', () => {
  it('a RateLimiter given to some tasks limits only those', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 500 });
    const executor = new AsyncExecutor({ maxWorkers: 10 });
    const log: string[] = [];
    const futures = [
      executor.submit(() => void log.push(`l0@${Date.now()}`), { rateLimit: limiter }),
      executor.submit(() => void log.push(`l1@${Date.now()}`), { rateLimit: limiter }),
      executor.submit(() => void log.push(`free@${Date.now()}`)),
      executor.submit(() => void log.push(`l2@${Date.now()}`), { rateLimit: limiter }),
    ];
    await vi.runAllTimersAsync();
    await Promise.all(futures);
    expect(log).toEqual(['l0@0', 'free@0', 'l1@500', 'l2@1000']);
  });

  it('a task passes both the executor’s limiter and its own', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10, rateLimit: { limit: 3, interval: 1000 } });
    const own = new RateLimiter({ limit: 1, interval: 300 });
    const starts: number[] = [];
    const futures = [0, 1, 2, 3].map(() => executor.submit(() => void starts.push(Date.now()), { rateLimit: own }));
    await vi.runAllTimersAsync();
    await Promise.all(futures);
    // own: 0, 300, 600, 900; executor: at most 3 per second → the 4th waits for 1000
    expect(starts).toEqual([0, 300, 600, 1000]);
  });

  // KNOWN BUG (not fixed: needs a token hand-back or a non-consuming wait in RateLimiter):
  // the executor takes its own token first, then waits for the task's limiter while holding
  // it, so the token is spent long before the start and two starts can share one window.
  // `it.fails` passes while the bug is there; when it is fixed, make this a plain `it`.
  it('a token of the executor’s limiter is not spent while the task waits for its own limiter', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10, rateLimit: { limit: 1, interval: 1000 } });
    const own = new RateLimiter({ limit: 1, interval: 1000 });
    expect(own.tryAcquire()).toBe(true); // the task's limiter is empty until 1000
    const starts: number[] = [];
    const a = executor.submit(() => void starts.push(Date.now()), { rateLimit: own });
    const b = executor.submit(() => void starts.push(Date.now()));
    await vi.runAllTimersAsync();
    await Promise.all([a, b]);
    // executor limit 1 per 1000 ms: the two starts must be 1000 ms apart (today: both at 1000)
    expect(maxInWindow(starts, 1000)).toBe(1);
  });

  it('the executor’s own limiter given again per task takes one token, not two', async () => {
    const limiter = new RateLimiter({ limit: 2, interval: 1000 });
    const executor = new AsyncExecutor({ maxWorkers: 10, rateLimit: limiter });
    const starts: number[] = [];
    const futures = [0, 1, 2, 3].map(() => executor.submit(() => void starts.push(Date.now()), { rateLimit: limiter }));
    await vi.runAllTimersAsync();
    await Promise.all(futures);
    expect(starts).toEqual([0, 0, 1000, 1000]);
  });

  it('a map’s rateLimit options make one limiter for the whole map', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10 });
    const starts: number[] = [];
    const p = executor.map(
      (i: number) => {
        starts.push(Date.now());
        return i * 10;
      },
      [0, 1, 2, 3, 4, 5],
      { rateLimit: { limit: 2, interval: 1000 } },
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual([0, 10, 20, 30, 40, 50]);
    expect(starts).toEqual([0, 0, 1000, 1000, 2000, 2000]);
  });

  it('two maps with rateLimit options each get their own limiter', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10 });
    const options = { rateLimit: { limit: 1, interval: 1000 } };
    const starts: string[] = [];
    const one = executor.map(
      (i: number) => {
        starts.push(`one${i}@${Date.now()}`);
        return i;
      },
      [0, 1],
      options,
    );
    const two = executor.map(
      (i: number) => {
        starts.push(`two${i}@${Date.now()}`);
        return i;
      },
      [0, 1],
      options,
    );
    await vi.runAllTimersAsync();
    await Promise.all([one, two]);
    expect(starts.sort()).toEqual(['one0@0', 'one1@1000', 'two0@0', 'two1@1000']);
  });

  it('a map’s rateLimit also counts retries', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 10 });
    const starts: string[] = [];
    const p = executor.map(
      (i: number, { attempt }: TaskContext) => {
        starts.push(`${i}.${attempt}@${Date.now()}`);
        if (i === 0 && attempt === 1) throw new Error('x');
        return i;
      },
      [0, 1, 2],
      { rateLimit: { limit: 2, interval: 1000 }, retries: 1, retryDelay: 1, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    expect(await p).toEqual([0, 1, 2]);
    expect(starts).toEqual(['0.1@0', '1.1@0', '2.1@1000', '0.2@1000']);
  });

  it('one RateLimiter shared between two executors limits their starts together', async () => {
    const limiter = new RateLimiter({ limit: 3, interval: 1000 });
    const one = new AsyncExecutor({ maxWorkers: 4, rateLimit: limiter });
    const two = new AsyncExecutor({ maxWorkers: 4, rateLimit: limiter });
    const starts: number[] = [];
    const futures = Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? one : two).submit(() => sleep(5).then(() => starts.push(Date.now()))),
    );
    await vi.runAllTimersAsync();
    await Promise.all(futures);
    const begins = starts.map((t) => t - 5).sort((a, b) => a - b);
    expect(begins).toEqual([0, 0, 0, 1000, 1000, 1000, 2000, 2000, 2000, 3000, 3000, 3000]);
    expect(one.getSnapshot().rateLimit).toEqual(two.getSnapshot().rateLimit);
    expect(limiter.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('properties', () => {
  it('under random limits and durations, starts never exceed burst + ⌊t·limit/interval⌋ nor limit per window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          limit: fc.integer({ min: 1, max: 5 }),
          interval: fc.integer({ min: 1, max: 1000 }),
          burst: fc.integer({ min: 1, max: 8 }),
          maxWorkers: fc.integer({ min: 1, max: 6 }),
          retryDelay: fc.integer({ min: 0, max: 300 }),
          tasks: fc.array(fc.record({ ms: fc.integer({ min: 0, max: 700 }), fails: fc.boolean() }), {
            minLength: 1,
            maxLength: 25,
          }),
        }),
        async ({ limit, interval, burst, maxWorkers, retryDelay, tasks }) => {
          const executor = new AsyncExecutor({ maxWorkers, rateLimit: { limit, interval, burst } });
          const t0 = Date.now();
          const starts: number[] = [];
          const g = new Gauge();
          const futures = tasks.map(({ ms, fails }, i) =>
            executor.submit(
              ({ attempt }) =>
                g.run(async () => {
                  starts.push(Date.now() - t0);
                  if (ms > 0) await sleep(ms);
                  if (fails && attempt === 1) throw new Error('first attempt fails');
                  return i;
                }),
              { retries: 1, retryDelay, jitter: 'none' },
            ),
          );
          await vi.runAllTimersAsync();
          expect(await Promise.all(futures)).toEqual(tasks.map((_, i) => i));
          expect(starts).toHaveLength(tasks.length + tasks.filter((t) => t.fails).length);
          starts.sort((a, b) => a - b);
          starts.forEach((t, i) => {
            expect(i + 1).toBeLessThanOrEqual(burst + Math.floor((t * limit) / interval));
          });
          expect(maxInWindow(starts, interval)).toBeLessThanOrEqual(limit);
          expect(g.peak).toBeLessThanOrEqual(maxWorkers);
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a semaphore option never exceeds its permits, even when timed-out tasks ignore their signal', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          permits: fc.integer({ min: 1, max: 4 }),
          workersA: fc.integer({ min: 1, max: 6 }),
          workersB: fc.integer({ min: 1, max: 6 }),
          tasks: fc.array(
            fc.record({
              ms: fc.integer({ min: 0, max: 400 }),
              timeout: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
              onB: fc.boolean(),
            }),
            { minLength: 1, maxLength: 30 },
          ),
        }),
        async ({ permits, workersA, workersB, tasks }) => {
          const semaphore = new Semaphore(permits);
          const a = new AsyncExecutor({ maxWorkers: workersA });
          const b = new AsyncExecutor({ maxWorkers: workersB });
          const g = new Gauge();
          const perExecutor = new Map<AsyncExecutor, Gauge>([
            [a, new Gauge()],
            [b, new Gauge()],
          ]);
          const futures = tasks.map(({ ms, timeout, onB }) => {
            const executor = onB ? b : a;
            const own = perExecutor.get(executor) as Gauge;
            return executor.submit(
              () => own.run(() => g.run(() => (ms > 0 ? sleep(ms) : undefined))), // ignores its signal
              timeout === undefined ? { semaphore } : { semaphore, timeout },
            );
          });
          for (const f of futures) outcomeBox(f);
          await vi.runAllTimersAsync();
          expect(futures.every((f) => f.done())).toBe(true);
          expect(g.peak).toBeLessThanOrEqual(permits);
          expect(perExecutor.get(a)?.peak).toBeLessThanOrEqual(workersA);
          expect(perExecutor.get(b)?.peak).toBeLessThanOrEqual(workersB);
          expect(g.current).toBe(0);
          expect(semaphore.available).toBe(permits);
          expect(semaphore.waiting).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
