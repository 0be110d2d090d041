/**
 * Retries through the executor (SPEC "Task options"; issue 3 "Retries").
 * Every delay runs on fake timers; times are read from the faked `Date.now()`.
 * Ports: antflow executor tests (retry success / failure call counts — fanout
 * surfaces the original error, never a `RetryError` wrapper).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  CancelledError,
  defaultRetryIf,
  HttpError,
  InvalidStateError,
  type Jitter,
  retryDelayFor,
  type TaskContext,
  type TaskEvent,
  TimeoutError,
} from '../index.js';
import { outcomeBox } from './test-utils.js';

function http(status: number, retryAfterMs?: number): HttpError {
  return new HttpError({ status, statusText: `status ${status}`, url: 'http://x/y', retryAfterMs });
}

function events(executor: AsyncExecutor): TaskEvent[] {
  const list: TaskEvent[] = [];
  executor.onEvent((e) => list.push(e));
  return list;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('attempt schedule', () => {
  it('retryDelay 100, backoff 2, jitter none: attempts at exactly 0, 100, 300, 700 ms', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const times: number[] = [];
    const future = executor.submit(
      () => {
        times.push(Date.now());
        throw new Error('nope');
      },
      { retries: 3, retryDelay: 100, backoff: 2, jitter: 'none' },
    );
    const result = outcomeBox(future);
    await vi.advanceTimersByTimeAsync(99);
    expect(times).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([0, 100]);
    await vi.advanceTimersByTimeAsync(199);
    expect(times).toEqual([0, 100]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([0, 100, 300]);
    await vi.advanceTimersByTimeAsync(399);
    expect(times).toEqual([0, 100, 300]);
    expect(result.current).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([0, 100, 300, 700]);
    expect(result.current?.ok).toBe(false);
    // retries: 3 is at most 4 attempts: nothing more, ever.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times).toHaveLength(4);
    expect(future.state).toBe('failed');
    expect(future.attempt).toBe(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries: 3 runs at most 4 attempts and stops at the first success', async () => {
    const executor = new AsyncExecutor();
    const attempts: number[] = [];
    const future = executor.submit(
      ({ attempt }) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Error(`fail ${attempt}`);
        return `ok on ${attempt}`;
      },
      { retries: 3, retryDelay: 10, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await expect(future).resolves.toBe('ok on 3');
    expect(attempts).toEqual([1, 2, 3]);
    expect(future.attempt).toBe(3);
  });

  it('retries: 0 (the default) is one attempt', async () => {
    const executor = new AsyncExecutor();
    let calls = 0;
    const future = executor.submit(() => {
      calls++;
      throw new Error('once');
    });
    const result = outcomeBox(future);
    await vi.runAllTimersAsync();
    expect(calls).toBe(1);
    expect(result.current).toMatchObject({ ok: false });
    expect(future.attempt).toBe(1);
  });

  it('retries: Infinity keeps trying until it succeeds', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(
      ({ attempt }) => {
        if (attempt < 25) throw new Error('not yet');
        return attempt;
      },
      { retries: Number.POSITIVE_INFINITY, retryDelay: 1, backoff: 1, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await expect(future).resolves.toBe(25);
  });

  it('maxRetryDelay: Infinity leaves the exponential delay uncapped (as timeout: Infinity sets none)', async () => {
    const executor = new AsyncExecutor();
    const delays: (number | undefined)[] = [];
    executor.onEvent((e) => {
      if (e.type === 'retry') delays.push(e.delayMs);
    });
    const future = executor.submit(
      () => {
        throw new Error('down');
      },
      { retries: 3, retryDelay: 20_000, maxRetryDelay: Number.POSITIVE_INFINITY, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await expect(future).rejects.toThrow('down');
    expect(delays).toEqual([20_000, 40_000, 80_000]);
  });

  it('maxRetryDelay caps the exponential delay', async () => {
    const executor = new AsyncExecutor();
    const times: number[] = [];
    const delays: (number | undefined)[] = [];
    executor.onEvent((e) => {
      if (e.type === 'retry') delays.push(e.delayMs);
    });
    const future = executor.submit(
      () => {
        times.push(Date.now());
        throw new Error('x');
      },
      { retries: 4, retryDelay: 100, backoff: 10, maxRetryDelay: 500, jitter: 'none' },
    );
    const result = outcomeBox(future);
    await vi.runAllTimersAsync();
    expect(result.current?.ok).toBe(false);
    expect(delays).toEqual([100, 500, 500, 500]);
    expect(times).toEqual([0, 100, 600, 1100, 1600]);
  });

  it('backoff 1 keeps the delay constant', async () => {
    const executor = new AsyncExecutor();
    const times: number[] = [];
    const future = executor.submit(
      () => {
        times.push(Date.now());
        throw new Error('x');
      },
      { retries: 3, retryDelay: 250, backoff: 1, jitter: 'none' },
    );
    outcomeBox(future);
    await vi.runAllTimersAsync();
    expect(times).toEqual([0, 250, 500, 750]);
  });
});

describe('jitter', () => {
  async function firstDelay(
    jitter: Jitter,
    random: number,
  ): Promise<{ delay: number | undefined; secondStart: number }> {
    vi.spyOn(Math, 'random').mockReturnValue(random);
    const executor = new AsyncExecutor();
    const list = events(executor);
    const starts: number[] = [];
    const future = executor.submit(
      ({ attempt }) => {
        starts.push(Date.now());
        if (attempt === 1) throw new Error('x');
        return 'ok';
      },
      { retries: 1, retryDelay: 1000, jitter },
    );
    await vi.runAllTimersAsync();
    await expect(future).resolves.toBe('ok');
    return {
      delay: list.find((e) => e.type === 'retry')?.delayMs,
      secondStart: (starts[1] as number) - (starts[0] as number),
    };
  }

  it("'full' is uniform in [0, delay]: Math.random 0 → 0, 0.25 → 250, 0.9999 → 1000", async () => {
    expect(await firstDelay('full', 0)).toEqual({ delay: 0, secondStart: 0 });
    expect(await firstDelay('full', 0.25)).toEqual({ delay: 250, secondStart: 250 });
    const high = await firstDelay('full', 0.9999);
    expect(high.delay).toBe(1000);
  });

  it("'equal' is in [delay/2, delay]: Math.random 0 → 500, 0.5 → 750, 0.9999 → 1000", async () => {
    expect(await firstDelay('equal', 0)).toEqual({ delay: 500, secondStart: 500 });
    expect(await firstDelay('equal', 0.5)).toEqual({ delay: 750, secondStart: 750 });
    expect((await firstDelay('equal', 0.9999)).delay).toBe(1000);
  });

  it("'none' ignores Math.random", async () => {
    expect(await firstDelay('none', 0.1)).toEqual({ delay: 1000, secondStart: 1000 });
  });

  it("the default jitter is 'full'", async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const executor = new AsyncExecutor();
    const list = events(executor);
    const future = executor.submit(({ attempt }) => (attempt === 1 ? Promise.reject(new Error('x')) : 1), {
      retries: 1,
    });
    await vi.runAllTimersAsync();
    await future;
    // default retryDelay 100, half of it with Math.random() = 0.5
    expect(list.find((e) => e.type === 'retry')?.delayMs).toBe(50);
  });

  it('retryDelayFor: retryDelay 0 stays 0 at any attempt (no NaN once backoff^n overflows)', () => {
    const policy = {
      retries: Number.POSITIVE_INFINITY,
      retryDelay: 0,
      backoff: 2,
      maxRetryDelay: 30_000,
      jitter: 'none' as const,
      retryIf: defaultRetryIf,
    };
    expect(retryDelayFor(policy, 1, new Error('x'))).toBe(0);
    expect(retryDelayFor(policy, 5000, new Error('x'))).toBe(0);
    expect(retryDelayFor({ ...policy, retryDelay: 1 }, 5000, new Error('x'))).toBe(30_000);
  });

  it('retryDelayFor stays within the jitter bounds for any random value (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retryDelay, backoff, maxRetryDelay, attempt, r) => {
          const policy = { retries: 10, retryDelay, backoff, maxRetryDelay, retryIf: defaultRetryIf };
          const d = Math.min(retryDelay * backoff ** (attempt - 1), maxRetryDelay);
          const full = retryDelayFor({ ...policy, jitter: 'full' }, attempt, new Error('x'), () => r);
          const equal = retryDelayFor({ ...policy, jitter: 'equal' }, attempt, new Error('x'), () => r);
          const none = retryDelayFor({ ...policy, jitter: 'none' }, attempt, new Error('x'), () => r);
          // Rounded to whole ms: allow half a millisecond either side.
          expect(full).toBeGreaterThanOrEqual(0);
          expect(full).toBeLessThanOrEqual(d + 0.5);
          expect(equal).toBeGreaterThanOrEqual(d / 2 - 0.5);
          expect(equal).toBeLessThanOrEqual(d + 0.5);
          expect(Math.abs(none - d)).toBeLessThanOrEqual(0.5);
        },
      ),
    );
  });
});

describe('retryIf', () => {
  it('receives each failed attempt’s own error and its 1-based number', async () => {
    const executor = new AsyncExecutor();
    const errors = [new Error('a1'), new Error('a2'), new Error('a3')];
    const seen: [unknown, number][] = [];
    const future = executor.submit(
      ({ attempt }) => {
        throw errors[attempt - 1];
      },
      {
        retries: 5,
        retryDelay: 1,
        jitter: 'none',
        retryIf: (error, attempt) => {
          seen.push([error, attempt]);
          return attempt < 3;
        },
      },
    );
    const result = outcomeBox(future);
    await vi.runAllTimersAsync();
    expect(seen).toEqual([
      [errors[0], 1],
      [errors[1], 2],
      [errors[2], 3],
    ]);
    expect(seen[2]?.[0]).toBe(errors[2]);
    expect(result.current).toEqual({ ok: false, error: errors[2] });
    expect(future.attempt).toBe(3);
  });

  it('is not asked once the retries are spent', async () => {
    const executor = new AsyncExecutor();
    const retryIf = vi.fn(() => true);
    const future = executor.submit(
      () => {
        throw new Error('x');
      },
      { retries: 2, retryDelay: 1, jitter: 'none', retryIf },
    );
    outcomeBox(future);
    await vi.runAllTimersAsync();
    expect(retryIf.mock.calls.map((c: unknown[]) => c[1])).toEqual([1, 2]);
    expect(future.attempt).toBe(3);
  });

  it('a retryIf that throws ends the task with the attempt’s error (and reports the throw)', async () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => {});
    const executor = new AsyncExecutor();
    const boom = new Error('task error');
    const future = executor.submit(
      () => {
        throw boom;
      },
      {
        retries: 3,
        retryIf: () => {
          throw new Error('retryIf bug');
        },
      },
    );
    const result = outcomeBox(future);
    await vi.runAllTimersAsync();
    expect(result.current).toEqual({ ok: false, error: boom });
    expect(future.attempt).toBe(1);
    expect(report).toHaveBeenCalled();
  });

  it('defaultRetryIf: retries generic errors, an attempt TimeoutError, 5xx, 408, 429 and non-Error throws', () => {
    const attemptTimeout = new TimeoutError('t', { retryable: true });
    for (const error of [new Error('x'), new TypeError('x'), attemptTimeout, 'a string', 0, undefined, null]) {
      expect(defaultRetryIf(error)).toBe(true);
    }
    for (const status of [408, 429, 500, 502, 503, 504, 301]) expect(defaultRetryIf(http(status))).toBe(true);
  });

  it('defaultRetryIf: skips CancelledError, a whole-call TimeoutError and every other 4xx — nothing else', () => {
    expect(defaultRetryIf(new CancelledError())).toBe(false);
    expect(defaultRetryIf(new TimeoutError('the whole call'))).toBe(false);
    expect(defaultRetryIf(new InvalidStateError('bad'))).toBe(true); // not in the contract's list
    for (const status of [400, 401, 403, 404, 405, 409, 410, 422, 499])
      expect(defaultRetryIf(http(status))).toBe(false);
  });

  it.each([
    ['HttpError 404', 1, () => http(404)],
    ['HttpError 400', 1, () => http(400)],
    ['CancelledError', 1, () => new CancelledError('self')],
    ['InvalidStateError', 4, () => new InvalidStateError('misuse')],
    ['HttpError 429', 4, () => http(429)],
    ['HttpError 408', 4, () => http(408)],
    ['HttpError 503', 4, () => http(503)],
    ['TypeError', 4, () => new TypeError('flaky')],
  ])('through the executor with the default retryIf, %s runs %i attempt(s)', async (_label, expected, make) => {
    const executor = new AsyncExecutor();
    let calls = 0;
    const future = executor.submit(
      () => {
        calls++;
        throw make();
      },
      { retries: 3, retryDelay: 10, jitter: 'none' },
    );
    outcomeBox(future);
    await vi.runAllTimersAsync();
    expect(calls).toBe(expected);
    expect(future.done()).toBe(true);
  });
});

describe('retryAfterMs', () => {
  it('a failure carrying retryAfterMs waits at least that long', async () => {
    const executor = new AsyncExecutor();
    const times: number[] = [];
    const future = executor.submit(
      ({ attempt }) => {
        times.push(Date.now());
        if (attempt === 1) throw http(429, 2500);
        return 'ok';
      },
      { retries: 1, retryDelay: 100, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await expect(future).resolves.toBe('ok');
    expect(times).toEqual([0, 2500]);
  });

  it('any error with a numeric retryAfterMs counts, not only HttpError', async () => {
    const executor = new AsyncExecutor();
    const times: number[] = [];
    const future = executor.submit(
      ({ attempt }) => {
        times.push(Date.now());
        if (attempt === 1) throw Object.assign(new Error('busy'), { retryAfterMs: 700 });
        return 'ok';
      },
      { retries: 1, retryDelay: 10, jitter: 'full' },
    );
    await vi.runAllTimersAsync();
    await future;
    expect(times).toEqual([0, 700]);
  });

  it('a longer computed delay wins over a shorter retryAfterMs', async () => {
    const executor = new AsyncExecutor();
    const times: number[] = [];
    const future = executor.submit(
      ({ attempt }) => {
        times.push(Date.now());
        if (attempt === 1) throw http(503, 50);
        return 'ok';
      },
      { retries: 1, retryDelay: 400, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await future;
    expect(times).toEqual([0, 400]);
  });

  it('retryAfterMs is waited for in full, past maxRetryDelay (which caps the backoff only)', async () => {
    const executor = new AsyncExecutor();
    const list = events(executor);
    const times: number[] = [];
    const future = executor.submit(
      ({ attempt }) => {
        times.push(Date.now());
        if (attempt === 1) throw http(429, 3_600_000);
        return 'ok';
      },
      { retries: 1, retryDelay: 100, maxRetryDelay: 2000, jitter: 'none' },
    );
    await vi.runAllTimersAsync();
    await future;
    expect(times).toEqual([0, 3_600_000]);
    expect(list.find((e) => e.type === 'retry')?.delayMs).toBe(3_600_000);
  });

  it('a Retry-After of a day waits a day; a retryIf can refuse so long a wait instead', async () => {
    const executor = new AsyncExecutor();
    const times: number[] = [];
    const task = ({ attempt }: TaskContext) => {
      times.push(Date.now());
      if (attempt === 1) throw http(429, 86_400_000);
      return 'ok';
    };
    const future = executor.submit(task, { retries: 1 });
    await vi.runAllTimersAsync();
    await future;
    expect(times).toEqual([0, 86_400_000]);

    times.length = 0;
    const refused = executor.submit(task, {
      retries: 1,
      retryIf: (error) => !(error instanceof HttpError && (error.retryAfterMs ?? 0) > 60_000),
    });
    await expect(refused).rejects.toMatchObject({ status: 429 });
    expect(times).toEqual([86_400_000]);
  });
});

describe('the final failure', () => {
  it('rejects with the last attempt’s own error (identity), and exception() is that error', async () => {
    const executor = new AsyncExecutor();
    const errors: Error[] = [];
    const future = executor.submit(
      async ({ attempt }) => {
        const error = new Error(`attempt ${attempt}`);
        errors.push(error);
        throw error;
      },
      { retries: 2, retryDelay: 5, jitter: 'none' },
    );
    const result = outcomeBox(future);
    await vi.runAllTimersAsync();
    expect(errors).toHaveLength(3);
    expect(result.current?.ok).toBe(false);
    expect(result.current?.ok === false && result.current.error).toBe(errors[2]);
    expect(future.exception()).toBe(errors[2]);
    expect(future.attempt).toBe(3);
    await expect(future.result()).rejects.toBe(errors[2]);
  });

  it('a map rejects with the item’s last error; with returnExceptions it sits in the results', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const last: Error[] = [];
    const fn = (i: number, { attempt }: { attempt: number }) => {
      if (i !== 1) return i;
      const error = new Error(`item 1 attempt ${attempt}`);
      last[0] = error;
      throw error;
    };
    const rejected = outcomeBox(executor.map(fn, [0, 1, 2], { retries: 2, retryDelay: 10, jitter: 'none' }));
    await vi.runAllTimersAsync();
    expect(rejected.current).toEqual({ ok: false, error: last[0] });
    expect((last[0] as Error).message).toBe('item 1 attempt 3');

    const results = executor.map(fn, [0, 1, 2], { retries: 1, retryDelay: 10, jitter: 'none', returnExceptions: true });
    await vi.runAllTimersAsync();
    const values = await results;
    expect(values[0]).toBe(0);
    expect(values[1]).toBe(last[0]);
    expect((values[1] as Error).message).toBe('item 1 attempt 2');
    expect(values[2]).toBe(2);
  });
});

describe('defaults: executor, per task, per map item', () => {
  it('the executor’s options are every task’s defaults; a task overrides only what it names', async () => {
    const executor = new AsyncExecutor({ retries: 2, retryDelay: 50, backoff: 3, jitter: 'none' });
    const times: Record<string, number[]> = { inherit: [], noRetry: [], shorter: [] };
    const failing = (key: string) => () => {
      (times[key] as number[]).push(Date.now());
      throw new Error(key);
    };
    outcomeBox(executor.submit(failing('inherit')));
    outcomeBox(executor.submit(failing('noRetry'), { retries: 0 }));
    outcomeBox(executor.submit(failing('shorter'), { retryDelay: 10 }));
    await vi.runAllTimersAsync();
    expect(times.inherit).toEqual([0, 50, 200]);
    expect(times.noRetry).toEqual([0]);
    expect(times.shorter).toEqual([0, 10, 40]);
  });

  it('the executor’s retryIf is the default, a task’s replaces it', async () => {
    const executorRetryIf = vi.fn(() => false);
    const executor = new AsyncExecutor({ retries: 3, retryDelay: 1, jitter: 'none', retryIf: executorRetryIf });
    let a = 0;
    let b = 0;
    outcomeBox(
      executor.submit(() => {
        a++;
        throw new Error('a');
      }),
    );
    outcomeBox(
      executor.submit(
        () => {
          b++;
          throw new Error('b');
        },
        { retryIf: () => true },
      ),
    );
    await vi.runAllTimersAsync();
    expect(a).toBe(1);
    expect(b).toBe(4);
    expect(executorRetryIf).toHaveBeenCalledTimes(1);
  });

  it('a map’s options apply to each item, over the executor’s defaults', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4, retries: 5, retryDelay: 1000, jitter: 'none' });
    const starts = new Map<number, number[]>();
    const fn = (i: number, { attempt }: { attempt: number }) => {
      starts.set(i, [...(starts.get(i) ?? []), Date.now()]);
      if (attempt <= 3) throw new Error(`item ${i}`);
      return i;
    };
    // retries: 1 for this map → each item gets 2 attempts, retryDelay from the map (20, backoff 2 from defaults).
    const mapped = outcomeBox(executor.map(fn, [0, 1, 2], { retries: 1, retryDelay: 20, returnExceptions: true }));
    await vi.runAllTimersAsync();
    expect(mapped.current?.ok).toBe(true);
    for (const i of [0, 1, 2]) expect(starts.get(i)).toEqual([0, 20]);

    // Without map options the executor's (retries 5, retryDelay 1000) apply: success on attempt 4.
    starts.clear();
    vi.setSystemTime(0);
    const again = executor.map(fn, [7]);
    await vi.runAllTimersAsync();
    await expect(again).resolves.toEqual([7]);
    expect(starts.get(7)).toEqual([0, 1000, 3000, 7000]);
  });
});

describe('while waiting to retry', () => {
  it('the task is retrying, holds no worker, shows in the snapshot and emits a retry event', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const list = events(executor);
    const boom = new Error('first attempt fails');
    const log: string[] = [];
    const a = executor.submit(
      ({ attempt }) => {
        log.push(`a${attempt}@${Date.now()}`);
        if (attempt === 1) throw boom;
        return 'a';
      },
      { retries: 1, retryDelay: 100, jitter: 'none', name: 'A' },
    );
    const b = executor.submit(
      async () => {
        log.push(`b@${Date.now()}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        return 'b';
      },
      { name: 'B' },
    );
    await vi.advanceTimersByTimeAsync(0);
    // A failed at 0 and gave its only worker to B at once.
    expect(log).toEqual(['a1@0', 'b@0']);
    expect(a.state).toBe('retrying');
    expect(a.running()).toBe(false);
    expect(a.done()).toBe(false);
    const snap = executor.getSnapshot();
    expect(snap).toMatchObject({ retrying: 1, running: 1, queued: 0, failed: 0, submitted: 2 });
    expect(snap.workers).toMatchObject([{ id: 0, taskId: b.id, taskName: 'B' }]);

    const retry = list.find((e) => e.type === 'retry');
    expect(retry).toMatchObject({ type: 'retry', taskId: a.id, name: 'A', attempt: 1, delayMs: 100, at: 0 });
    expect(retry?.error).toBe(boom);

    // The delay ends at 100 but the worker is busy until 500: A waits in the queue.
    await vi.advanceTimersByTimeAsync(100);
    expect(a.state).toBe('queued');
    expect(executor.getSnapshot()).toMatchObject({ retrying: 0, queued: 1, running: 1 });
    await vi.advanceTimersByTimeAsync(400);
    expect(log).toEqual(['a1@0', 'b@0', 'a2@500']);
    await expect(a).resolves.toBe('a');
    await expect(b).resolves.toBe('b');
    expect(list.map((e) => `${e.type}:${e.name}:${e.attempt}`)).toEqual([
      'queued:A:0',
      'started:A:1',
      'retry:A:1',
      'queued:B:0',
      'started:B:1',
      'succeeded:B:1',
      'started:A:2',
      'succeeded:A:2',
    ]);
  });

  it('cancelling a retrying task settles it at once and clears its timer', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    let calls = 0;
    const future = executor.submit(
      () => {
        calls++;
        throw new Error('x');
      },
      { retries: 5, retryDelay: 10_000, jitter: 'none' },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(future.state).toBe('retrying');
    expect(vi.getTimerCount()).toBe(1);
    const result = outcomeBox(future);
    expect(future.cancel('stop')).toBe(true);
    // synchronously settled
    expect(future.state).toBe('cancelled');
    expect(future.cancelled()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(executor.getSnapshot()).toMatchObject({ retrying: 0, cancelled: 1, failed: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(result.current?.ok).toBe(false);
    expect(result.current?.ok === false && result.current.error).toBeInstanceOf(CancelledError);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(calls).toBe(1);
    expect(future.cancel()).toBe(false);
    await executor.onIdle();
  });

  it('shutdown({ cancelFutures: true }) cancels retrying tasks and leaves no timer', async () => {
    const executor = new AsyncExecutor();
    const futures = [1, 2, 3].map(() =>
      executor.submit(
        () => {
          throw new Error('x');
        },
        { retries: 3, retryDelay: 5000, jitter: 'none' },
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(executor.getSnapshot().retrying).toBe(3);
    await executor.shutdown({ cancelFutures: true });
    expect(futures.map((f) => f.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('onIdle waits for retrying tasks', async () => {
    const executor = new AsyncExecutor();
    const future = executor.submit(({ attempt }) => (attempt === 1 ? Promise.reject(new Error('x')) : 'ok'), {
      retries: 1,
      retryDelay: 300,
      jitter: 'none',
    });
    let idle = false;
    void executor.onIdle().then(() => {
      idle = true;
    });
    await vi.advanceTimersByTimeAsync(299);
    expect(idle).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(idle).toBe(true);
    await expect(future).resolves.toBe('ok');
  });

  it('pausing during the wait holds the retry back until resume', async () => {
    const executor = new AsyncExecutor();
    const times: number[] = [];
    const future = executor.submit(
      ({ attempt }) => {
        times.push(Date.now());
        if (attempt === 1) throw new Error('x');
        return 'ok';
      },
      { retries: 1, retryDelay: 100, jitter: 'none' },
    );
    await vi.advanceTimersByTimeAsync(50);
    executor.pause();
    await vi.advanceTimersByTimeAsync(1000);
    expect(times).toEqual([0]);
    expect(future.state).toBe('queued');
    executor.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(times).toEqual([0, 1050]);
    await expect(future).resolves.toBe('ok');
  });
});

describe('a task cancelled while its retry is announced (invariant 2: settled exactly once)', () => {
  const flaky = async () => {
    throw new Error('flaky');
  };

  it('cancelled from its own retry event: stays cancelled, never starts again, leaves no timer', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const types: string[] = [];
    executor.onEvent((e: TaskEvent) => {
      types.push(e.type);
      if (e.type === 'retry') future.cancel('gave up after one retry');
    });
    const future = executor.submit(flaky, { retries: 3, retryDelay: 10, jitter: 'none' });
    await vi.advanceTimersByTimeAsync(100);
    expect(types).toEqual(['queued', 'started', 'retry', 'cancelled']);
    expect(future.state).toBe('cancelled');
    expect(executor.getSnapshot()).toMatchObject({ retrying: 0, running: 0, queued: 0, cancelled: 1, failed: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shutdown({ cancelFutures: true }) from a retry listener: the task is cancelled once, nothing is left', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const fn = vi.fn(flaky);
    executor.submit(fn, { retries: 3, retryDelay: 10, jitter: 'none' });
    let shutdown: Promise<void> | undefined;
    executor.onEvent((e) => {
      if (e.type === 'retry') shutdown ??= executor.shutdown({ cancelFutures: true });
    });
    await vi.advanceTimersByTimeAsync(100);
    await shutdown;
    expect(fn).toHaveBeenCalledTimes(1);
    expect(executor.getSnapshot()).toMatchObject({ queued: 0, running: 0, retrying: 0, failed: 0, cancelled: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shutdown({ cancelFutures: true }) called by retryIf cancels the task it is deciding about too', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const fn = vi.fn(flaky);
    const future = executor.submit(fn, {
      retries: 3,
      retryDelay: 5,
      jitter: 'none',
      retryIf: () => {
        void executor.shutdown({ cancelFutures: true });
        return true;
      },
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(future.state).toBe('cancelled');
    expect(executor.getSnapshot()).toMatchObject({ running: 0, retrying: 0, cancelled: 1 });
  });

  it('cancelled by retryIf itself (a circuit breaker aborting the signal) and then asked to retry', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const breaker = new AbortController();
    const fn = vi.fn(flaky);
    const future = executor.submit(fn, {
      retries: 3,
      retryDelay: 10,
      jitter: 'none',
      signal: breaker.signal,
      retryIf: () => {
        breaker.abort(new Error('breaker open'));
        return true;
      },
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(future.state).toBe('cancelled');
    expect(executor.getSnapshot()).toMatchObject({ retrying: 0, running: 0, cancelled: 1, failed: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
