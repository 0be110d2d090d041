/**
 * Bad input to the retry / timeout / rate-limit / semaphore options and the
 * utilities fails at once, naming the option and the value (SPEC invariant 4;
 * issue 3 "Bad input"). Executor/future/map argument checks live in bad-input.test.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  batched,
  batchProcess,
  type ExecutorOptions,
  fetchTask,
  gatherWithConcurrency,
  parallelFilter,
  parallelMap,
  RateLimiter,
  type RateLimitOptions,
  retry,
  Semaphore,
  type TaskOptions,
  throttle,
  withTimeout,
  zip,
} from '../index.js';
import { useFakeTimers } from './test-utils.js';

type ErrorClass = typeof RangeError | typeof TypeError;

/** An option of a wrong type, passed on purpose (the TypeScript types would refuse it). */
function bad<T>(value: unknown): T {
  return value as T;
}

/** The option name and value, as they appear in the message. */
function pattern(name: string, shown: string): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${esc(name)}\\b.*${esc(shown)}`);
}

useFakeTimers({ now: 0 });

// [option, value, error class, how the value is shown]
const TASK_CASES: [keyof TaskOptions, unknown, ErrorClass, string][] = [
  ['retries', -1, RangeError, '-1'],
  ['retries', 1.5, RangeError, '1.5'],
  ['retries', Number.NaN, RangeError, 'NaN'],
  ['retries', '3', TypeError, '"3"'],
  ['retries', null, TypeError, 'null'],
  ['retryDelay', Number.NaN, RangeError, 'NaN'],
  ['retryDelay', -1, RangeError, '-1'],
  ['retryDelay', Number.POSITIVE_INFINITY, RangeError, 'Infinity'],
  ['retryDelay', '100', TypeError, '"100"'],
  ['backoff', 0.5, RangeError, '0.5'],
  ['backoff', 0, RangeError, '0'],
  ['backoff', Number.NaN, RangeError, 'NaN'],
  ['maxRetryDelay', -5, RangeError, '-5'],
  ['maxRetryDelay', Number.NaN, RangeError, 'NaN'],
  ['jitter', 'random', TypeError, '"random"'],
  ['jitter', true, TypeError, 'true'],
  ['jitter', null, TypeError, 'null'],
  ['retryIf', 'x', TypeError, '"x"'],
  ['retryIf', null, TypeError, 'null'],
  ['timeout', 0, RangeError, '0'],
  ['timeout', -100, RangeError, '-100'],
  ['timeout', Number.NaN, RangeError, 'NaN'],
  ['timeout', '5000', TypeError, '"5000"'],
];

describe('retry and timeout options', () => {
  it.each(TASK_CASES)('new AsyncExecutor({ %s: %s }) throws', (name, value, Err, shown) => {
    const make = () => new AsyncExecutor(bad<ExecutorOptions>({ [name]: value }));
    expect(make).toThrow(Err);
    expect(make).toThrow(pattern(name, shown));
  });

  it.each(TASK_CASES)(
    'submit(fn, { %s: %s }) throws synchronously and the executor stays usable',
    async (name, value, Err, shown) => {
      const executor = new AsyncExecutor();
      const before = executor.submit(() => 'before');
      let calls = 0;
      const submit = () =>
        executor.submit(
          () => {
            calls++;
          },
          bad<TaskOptions>({ [name]: value }),
        );
      expect(submit).toThrow(Err);
      expect(submit).toThrow(pattern(name, shown));
      expect(calls).toBe(0);
      expect(executor.getSnapshot().submitted).toBe(1);
      await expect(before).resolves.toBe('before');
      await expect(executor.submit(() => 'after')).resolves.toBe('after');
    },
  );

  it.each(TASK_CASES)('map(fn, items, { %s: %s }) rejects before any item runs', async (name, value, Err, shown) => {
    const executor = new AsyncExecutor();
    let calls = 0;
    let error: unknown;
    try {
      await executor.map(() => calls++, [1, 2, 3], bad<TaskOptions>({ [name]: value }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Err);
    expect((error as Error).message).toMatch(pattern(name, shown));
    expect(calls).toBe(0);
    expect(() => executor.mapIter(() => 1, [1], bad<TaskOptions>({ [name]: value }))).toThrow(Err);
  });

  it('the exact messages name the option and quote the value', () => {
    expect(() => new AsyncExecutor({ retries: -1 })).toThrow(
      new RangeError('retries must be an integer ≥ 0 or Infinity, got -1'),
    );
    expect(() => new AsyncExecutor({ retryDelay: Number.NaN })).toThrow(
      new RangeError('retryDelay must be a finite number ≥ 0, got NaN'),
    );
    expect(() => new AsyncExecutor({ timeout: 0 })).toThrow(
      new RangeError('timeout must be a number > 0 or Infinity, got 0'),
    );
    expect(() => new AsyncExecutor({ backoff: 0.5 })).toThrow(
      new RangeError('backoff must be a finite number ≥ 1, got 0.5'),
    );
    expect(() => new AsyncExecutor(bad<ExecutorOptions>({ jitter: 'random' }))).toThrow(
      new TypeError(`jitter must be one of 'full', 'equal', 'none', got "random"`),
    );
    expect(() => new AsyncExecutor(bad<ExecutorOptions>({ retryIf: 'x' }))).toThrow(
      new TypeError('retryIf must be a function, got "x"'),
    );
  });

  it('boundary values that are allowed', async () => {
    const executor = new AsyncExecutor({
      retries: 0,
      retryDelay: 0,
      backoff: 1,
      maxRetryDelay: 0,
      jitter: 'equal',
      timeout: 0.5,
    });
    expect(() => executor.submit(() => 1, { retries: Number.POSITIVE_INFINITY, timeout: 1 })).not.toThrow();
    await vi.runAllTimersAsync();
  });
});

const RATE_CASES: [string, unknown, ErrorClass, string][] = [
  ['limit', { limit: 0, interval: 1000 }, RangeError, '0'],
  ['limit', { limit: 1.5, interval: 1000 }, RangeError, '1.5'],
  ['limit', { limit: -1, interval: 1000 }, RangeError, '-1'],
  ['limit', { interval: 1000 }, TypeError, 'undefined'],
  ['limit', { limit: '5', interval: 1000 }, TypeError, '"5"'],
  ['interval', { limit: 5, interval: -5 }, RangeError, '-5'],
  ['interval', { limit: 5, interval: 0 }, RangeError, '0'],
  ['interval', { limit: 5, interval: Number.NaN }, RangeError, 'NaN'],
  ['interval', { limit: 5, interval: Number.POSITIVE_INFINITY }, RangeError, 'Infinity'],
  ['interval', { limit: 5 }, TypeError, 'undefined'],
  ['burst', { limit: 5, interval: 1000, burst: 0 }, RangeError, '0'],
  ['burst', { limit: 5, interval: 1000, burst: 2.5 }, RangeError, '2.5'],
];

describe('rate limit options', () => {
  it.each(RATE_CASES)('new RateLimiter with a bad %s (%j) throws', (name, options, Err, shown) => {
    const make = () => new RateLimiter(bad<RateLimitOptions>(options));
    expect(make).toThrow(Err);
    expect(make).toThrow(pattern(name, shown));
  });

  it.each(RATE_CASES)(
    'an executor’s rateLimit with a bad %s (%j) throws, naming rateLimit.%s',
    (name, options, Err, shown) => {
      const make = () => new AsyncExecutor({ rateLimit: bad<RateLimitOptions>(options) });
      expect(make).toThrow(Err);
      expect(make).toThrow(pattern(`rateLimit.${name}`, shown));
    },
  );

  it.each(RATE_CASES)('a task’s or map’s rateLimit with a bad %s (%j) throws', async (name, options, Err, shown) => {
    const executor = new AsyncExecutor();
    expect(() => executor.submit(() => 1, { rateLimit: bad<RateLimitOptions>(options) })).toThrow(
      pattern(`rateLimit.${name}`, shown),
    );
    await expect(executor.map((x: number) => x, [1], { rateLimit: bad<RateLimitOptions>(options) })).rejects.toThrow(
      Err,
    );
  });

  it.each(RATE_CASES)('throttle with a bad %s (%j) throws', (name, options, Err, shown) => {
    const make = () => throttle(() => 1, bad<RateLimitOptions>(options));
    expect(make).toThrow(Err);
    expect(make).toThrow(pattern(name, shown));
  });

  it('rateLimit must be an options object or a RateLimiter', () => {
    expect(() => new AsyncExecutor({ rateLimit: bad<RateLimitOptions>(null) })).toThrow(TypeError);
    expect(() => new AsyncExecutor({ rateLimit: bad<RateLimitOptions>(50) })).toThrow(/rateLimit/);
    expect(
      () => new AsyncExecutor({ rateLimit: bad<RateLimitOptions>({ limit: 5, interval: 1000, per: 's' }) }),
    ).toThrow(/"per"/);
  });

  it('the exact messages', () => {
    expect(() => new RateLimiter({ limit: 0, interval: 1000 })).toThrow(
      new RangeError('limit must be an integer ≥ 1, got 0'),
    );
    expect(() => new RateLimiter({ limit: 1, interval: -5 })).toThrow(
      new RangeError('interval must be a finite number > 0, got -5'),
    );
    expect(() => new AsyncExecutor({ rateLimit: { limit: 0, interval: 1000 } })).toThrow(
      new RangeError('rateLimit.limit must be an integer ≥ 1, got 0'),
    );
  });
});

describe('semaphore', () => {
  it.each([
    [1.5, RangeError, '1.5'],
    [0, RangeError, '0'],
    [-1, RangeError, '-1'],
    [Number.NaN, RangeError, 'NaN'],
    [Number.POSITIVE_INFINITY, RangeError, 'Infinity'],
    ['2', TypeError, '"2"'],
    [null, TypeError, 'null'],
  ] as [unknown, ErrorClass, string][])('new Semaphore(%s) throws', (permits, Err, shown) => {
    const make = () => new Semaphore(bad<number>(permits));
    expect(make).toThrow(Err);
    expect(make).toThrow(pattern('permits', shown));
  });

  it('permits: 1.5 has an exact message', () => {
    expect(() => new Semaphore(1.5)).toThrow(new RangeError('permits must be an integer ≥ 1, got 1.5'));
  });

  it('the semaphore option must be a Semaphore', () => {
    const executor = new AsyncExecutor();
    expect(() => executor.submit(() => 1, { semaphore: bad<Semaphore>({ acquire() {} }) })).toThrow(TypeError);
    expect(() => executor.submit(() => 1, { semaphore: bad<Semaphore>(2) })).toThrow(/semaphore/);
  });
});

describe('utilities', () => {
  it('retry validates its options before any call', async () => {
    let calls = 0;
    const fn = () => {
      calls++;
      return 1;
    };
    await expect(retry(fn, { retries: -1 })).rejects.toThrow(
      new RangeError('retries must be an integer ≥ 0 or Infinity, got -1'),
    );
    await expect(retry(fn, bad<{ jitter: 'none' }>({ jitter: 'random' }))).rejects.toThrow(TypeError);
    await expect(retry(bad<() => number>('nope'))).rejects.toThrow(TypeError);
    // a key its options type does not name is refused, as for every other options object
    await expect(retry(fn, bad<{ retries: 1 }>({ priority: 1 }))).rejects.toThrow(
      new TypeError('options has an unknown option "priority"'),
    );
    expect(calls).toBe(0);
  });

  it('withTimeout validates ms, options and the work', async () => {
    await expect(withTimeout(Promise.resolve(1), -1)).rejects.toThrow(RangeError);
    await expect(withTimeout(Promise.resolve(1), Number.NaN)).rejects.toThrow(pattern('ms', 'NaN'));
    await expect(withTimeout(Promise.resolve(1), 10, { cleanup: bad<() => void>('x') })).rejects.toThrow(TypeError);
    await expect(withTimeout(Promise.resolve(1), 10, { signal: bad<AbortSignal>({}) })).rejects.toThrow(TypeError);
    await expect(withTimeout(bad<Promise<number>>(42), 10)).rejects.toThrow(TypeError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('parallelMap / parallelFilter / gatherWithConcurrency validate maxConcurrent and n', async () => {
    await expect(parallelMap((x: number) => x, [1], { maxConcurrent: 0 })).rejects.toThrow(
      pattern('maxConcurrent', '0'),
    );
    await expect(parallelMap((x: number) => x, [1], { maxConcurrent: 1.5 })).rejects.toThrow(RangeError);
    await expect(parallelMap((x: number) => x, [1], { retries: -1 })).rejects.toThrow(RangeError);
    await expect(parallelFilter((x: number) => x > 0, [1], { maxConcurrent: -2 })).rejects.toThrow(RangeError);
    await expect(parallelMap((x: number) => x, bad<number[]>(5))).rejects.toThrow(TypeError);
    await expect(gatherWithConcurrency(0, [() => 1])).rejects.toThrow(pattern('n', '0'));
    await expect(gatherWithConcurrency(Number.NaN, [() => 1])).rejects.toThrow(RangeError);
  });

  it('batchProcess validates batchSize, maxConcurrent, the processor and the callback', async () => {
    await expect(batchProcess([1], (x: number) => x, { batchSize: 0 })).rejects.toThrow(pattern('batchSize', '0'));
    await expect(batchProcess([1], (x: number) => x, { batchSize: 2.5 })).rejects.toThrow(RangeError);
    await expect(batchProcess([1], (x: number) => x, { maxConcurrent: 0 })).rejects.toThrow(RangeError);
    await expect(batchProcess([1], (x: number) => x, { retries: -1 })).rejects.toThrow(RangeError);
    await expect(batchProcess([1], bad<(x: number) => number>(null))).rejects.toThrow(TypeError);
    await expect(batchProcess([1], (x: number) => x, { onBatchComplete: bad<() => void>(1) })).rejects.toThrow(
      TypeError,
    );
    // a map's own option is not batchProcess's (maxConcurrent is)
    await expect(batchProcess([1], (x: number) => x, bad<{ retries: 1 }>({ maxConcurrency: 2 }))).rejects.toThrow(
      new TypeError('options has an unknown option "maxConcurrency" (did you mean "maxConcurrent"?)'),
    );
  });

  it('batched and zip validate at once', () => {
    expect(() => batched([1], 0)).toThrow(new RangeError('size must be an integer ≥ 1, got 0'));
    expect(() => batched([1], 1.5)).toThrow(RangeError);
    expect(() => batched(bad<number[]>(null), 2)).toThrow(TypeError);
    expect(() => zip([1], bad<number[]>(3))).toThrow(/iterables\[1\]/);
  });

  it('throttle and fetchTask validate their arguments', () => {
    expect(() => throttle(bad<() => number>('f'), { limit: 1, interval: 1 })).toThrow(TypeError);
    expect(() => fetchTask('http://x', undefined, bad<{ parse: 'json' }>({ parse: 'xml' }))).toThrow(/parse.*"xml"/);
    // null is never "use the default"
    expect(() => fetchTask('http://x', undefined, bad<{ parse: 'json' }>({ parse: null }))).toThrow(/parse.*null/);
    expect(() => fetchTask('http://x', bad<RequestInit>('GET'))).toThrow(TypeError);
  });
});
