import { describe, expect, it, vi } from 'vitest';
import { ExecutorShutdownError } from '../errors.js';
import { AsyncExecutor } from '../executor.js';
import type { AsyncFuture } from '../future.js';
import type { ExecutorOptions, MapOptions, TaskOptions } from '../options.js';
import { withTimeout } from '../timeout.js';
import { asCompleted, type WaitOptions, wait } from '../wait.js';
import { deferred, flush, outcome, rejection, sleep, successfulFuture, useFakeTimers, withTime } from './test-utils.js';

useFakeTimers();

type ErrorType = typeof RangeError | typeof TypeError;

/**
 * An executor with work in flight: one running task, one queued. After a bad
 * call, `check()` asserts that both still complete and the counts add up.
 */
function busyExecutor(options: ExecutorOptions = { maxWorkers: 1 }) {
  const executor = new AsyncExecutor(options);
  const gate = deferred();
  const running = executor.submit(async () => {
    await gate.promise;
    return 'running';
  });
  const queued = executor.submit(() => 'queued');
  return {
    executor,
    async check(): Promise<void> {
      gate.resolve();
      expect(await running).toBe('running');
      expect(await queued).toBe('queued');
      expect(await executor.submit(() => 'after')).toBe('after');
      const s = executor.getSnapshot();
      expect(s).toMatchObject({ submitted: 3, succeeded: 3, queued: 0, running: 0 });
    },
  };
}

describe('new AsyncExecutor', () => {
  it.each<[string, unknown, ErrorType, string]>([
    ['0', 0, RangeError, 'maxWorkers must be an integer ≥ 1 or Infinity, got 0'],
    ['-1', -1, RangeError, 'got -1'],
    ['1.5', 1.5, RangeError, 'got 1.5'],
    ['NaN', Number.NaN, RangeError, 'got NaN'],
    ['-Infinity', Number.NEGATIVE_INFINITY, RangeError, 'got -Infinity'],
    ["'5'", '5', TypeError, 'maxWorkers must be an integer ≥ 1 or Infinity, got "5"'],
    ['null', null, TypeError, 'got null'],
    ['true', true, TypeError, 'got true'],
  ])('maxWorkers: %s', (_, value, type, message) => {
    // cf-taskpool tests/test_task_pool.py::test_max_workers_negative ("max_workers must be greater than 0")
    const make = () => new AsyncExecutor({ maxWorkers: value as number });
    expect(make).toThrow(type);
    expect(make).toThrow(/maxWorkers/);
    expect(make).toThrow(message);
  });

  it.each<[string, unknown, ErrorType, RegExp]>([
    ['null options', null, TypeError, /options must be an options object, got null/],
    ['an array', [], TypeError, /options must be an options object, got an array/],
    ['an unknown key', { maxWorker: 4 }, TypeError, /unknown option "maxWorker"/],
    ['a non-string name', { name: 5 }, TypeError, /name must be a string, got 5/],
    ['a non-signal', { signal: {} }, TypeError, /signal must be an AbortSignal/],
    ['negative retries', { retries: -1 }, RangeError, /retries .* got -1/],
    ['null retries (never "use the default")', { retries: null }, TypeError, /retries .* got null/],
    ['a bad jitter', { jitter: 'random' }, TypeError, /jitter must be one of .* got "random"/],
    ['a zero timeout', { timeout: 0 }, RangeError, /timeout .* got 0/],
  ])('rejects %s', (_, options, type, message) => {
    const make = () => new AsyncExecutor(options as ExecutorOptions);
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });
});

describe('submit', () => {
  it.each<[string, unknown]>([
    ['a number', 5],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'run'],
    ['a promise', Promise.resolve(1)],
    ['an object', {}],
  ])('a non-function task (%s) is a TypeError and loses nothing', async (_, fn) => {
    const { executor, check } = busyExecutor();
    expect(() => executor.submit(fn as () => void)).toThrow(TypeError);
    expect(() => executor.submit(fn as () => void)).toThrow(/^fn must be a function, got /);
    await check();
  });

  it.each<[string, unknown, ErrorType, RegExp]>([
    ['an unknown key', { prio: 1 }, TypeError, /unknown option "prio"/],
    ['a NaN priority', { priority: Number.NaN }, RangeError, /priority .* got NaN/],
    ['a string priority', { priority: '1' }, TypeError, /priority .* got "1"/],
    ['a non-signal', { signal: 'abort' }, TypeError, /signal must be an AbortSignal, got "abort"/],
    ['a non-string name', { name: 3 }, TypeError, /name must be a string, got 3/],
    ['null options', null, TypeError, /options must be an options object, got null/],
    ['a map-only option', { maxConcurrency: 2 }, TypeError, /unknown option "maxConcurrency"/],
  ])('bad options (%s) throw and lose nothing', async (_, options, type, message) => {
    const { executor, check } = busyExecutor();
    const submit = () => executor.submit(() => 1, options as TaskOptions);
    expect(submit).toThrow(type);
    expect(submit).toThrow(message);
    await check();
  });
});

describe('map, mapIter, filter', () => {
  const fn = (x: number) => x;

  it.each<[string, unknown]>([
    ['5', 5],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
    ['a function', () => [1]],
  ])('non-iterable items (%s) are a TypeError naming items; nothing lost', async (_, items) => {
    const { executor, check } = busyExecutor();
    const message = /^items must be an iterable or an async iterable, got /;
    const mapped = executor.map(fn, items as number[]);
    expect(await rejection(mapped)).toBeInstanceOf(TypeError);
    await expect(executor.map(fn, items as number[])).rejects.toThrow(message);
    expect(() => executor.mapIter(fn, items as number[])).toThrow(message);
    await expect(executor.filter(fn, items as number[])).rejects.toThrow(message);
    await check();
  });

  it('a non-function fn or predicate is a TypeError', async () => {
    const { executor, check } = busyExecutor();
    await expect(executor.map(5 as never, [1])).rejects.toThrow(new TypeError('fn must be a function, got 5'));
    expect(() => executor.mapIter(null as never, [1])).toThrow(new TypeError('fn must be a function, got null'));
    await expect(executor.filter('x' as never, [1])).rejects.toThrow(new TypeError('pred must be a function, got "x"'));
    await check();
  });

  it.each<[string, MapOptions, ErrorType, string]>([
    ['bufferSize 0', { bufferSize: 0 }, RangeError, 'bufferSize must be an integer ≥ 1, got 0'],
    ['bufferSize -1', { bufferSize: -1 }, RangeError, 'bufferSize must be an integer ≥ 1, got -1'],
    ["bufferSize 'foo'", { bufferSize: 'foo' as never }, TypeError, 'bufferSize must be an integer ≥ 1, got "foo"'],
    ['bufferSize null', { bufferSize: null as never }, TypeError, 'bufferSize must be an integer ≥ 1, got null'],
    ['maxConcurrency 0', { maxConcurrency: 0 }, RangeError, 'maxConcurrency must be an integer ≥ 1 or Infinity, got 0'],
    [
      'maxConcurrency 1.5',
      { maxConcurrency: 1.5 },
      RangeError,
      'maxConcurrency must be an integer ≥ 1 or Infinity, got 1.5',
    ],
    ["maxConcurrency '2'", { maxConcurrency: '2' as never }, TypeError, 'got "2"'],
    ['ordered: "yes"', { ordered: 'yes' as never }, TypeError, 'ordered must be a boolean, got "yes"'],
    ['returnExceptions: 1', { returnExceptions: 1 as never }, TypeError, 'returnExceptions must be a boolean, got 1'],
    ['onProgress: "log"', { onProgress: 'log' as never }, TypeError, 'onProgress must be a function, got "log"'],
    ['an unknown key', { buffersize: 2 } as never, TypeError, 'options has an unknown option "buffersize"'],
    ['retries -1', { retries: -1 }, RangeError, 'got -1'],
  ])('%s fails at once, before any item runs; nothing lost', async (_, options, type, message) => {
    const { executor, check } = busyExecutor();
    const spy = vi.fn(fn);
    const mapped = rejection(executor.map(spy, [1, 2], options));
    expect(() => executor.mapIter(spy, [1, 2], options)).toThrow(type);
    expect(() => executor.mapIter(spy, [1, 2], options)).toThrow(message);
    const error = await mapped;
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toContain(message);
    expect(spy).not.toHaveBeenCalled();
    await check();
  });

  it('a map call does not throw synchronously: it returns a rejected promise', async () => {
    const executor = new AsyncExecutor();
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = executor.map(fn, 5 as never);
    }).not.toThrow();
    expect(await rejection(p as Promise<unknown>)).toBeInstanceOf(TypeError);
  });
});

describe('wait and asCompleted', () => {
  it.each<[string, WaitOptions, ErrorType, RegExp]>([
    [
      'an unknown returnWhen',
      { returnWhen: 'SOMETIMES' as never },
      TypeError,
      /returnWhen must be one of .* got "SOMETIMES"/,
    ],
    ['a negative timeout', { timeout: -1 }, RangeError, /timeout .* got -1/],
    ['a NaN timeout', { timeout: Number.NaN }, RangeError, /timeout .* got NaN/],
    ['a string timeout', { timeout: '5' as never }, TypeError, /timeout .* got "5"/],
    ['a non-signal', { signal: 1 as never }, TypeError, /signal must be an AbortSignal, got 1/],
    ['an unknown key', { return_when: 'FIRST_COMPLETED' } as never, TypeError, /unknown option "return_when"/],
  ])('wait with %s rejects', async (_, options, type, message) => {
    const { check } = busyExecutor();
    const error = await rejection(wait([successfulFuture()], options));
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).toMatch(message);
    await check();
  });

  it('wait with non-futures rejects with TypeError', async () => {
    await expect(wait(5 as never)).rejects.toThrow(new TypeError('futures must be an iterable of AsyncFuture, got 5'));
    await expect(wait([Promise.resolve(1)] as never)).rejects.toThrow(
      new TypeError('futures must contain only AsyncFuture, got a promise'),
    );
    expect(await rejection(wait(null as never))).toBeInstanceOf(TypeError);
  });

  it('asCompleted with bad input throws at once', () => {
    expect(() => asCompleted([successfulFuture()], { timeout: -5 })).toThrow(RangeError);
    expect(() => asCompleted(null as never)).toThrow(TypeError);
    expect(() => asCompleted([1] as never)).toThrow(/futures must contain only AsyncFuture, got 1/);
    expect(() => asCompleted([successfulFuture()], { returnWhen: 'x' } as never)).toThrow(
      new TypeError('options has an unknown option "returnWhen"'),
    );
  });
});

describe('other methods', () => {
  it.each<[string, unknown, ErrorType, string]>([
    ['0', 0, RangeError, 'maxWorkers must be an integer ≥ 1 or Infinity, got 0'],
    ['-1', -1, RangeError, 'got -1'],
    ['1.5', 1.5, RangeError, 'got 1.5'],
    ['NaN', Number.NaN, RangeError, 'got NaN'],
    ["'3'", '3', TypeError, 'got "3"'],
    ['null', null, TypeError, 'got null'],
  ])('resize(%s) throws, keeps the old size and loses nothing', async (_, value, type, message) => {
    const { executor, check } = busyExecutor();
    expect(() => executor.resize(value as number)).toThrow(type);
    expect(() => executor.resize(value as number)).toThrow(message);
    expect(executor.getSnapshot().maxWorkers).toBe(1);
    await check();
  });

  it.each<[string, unknown, RegExp]>([
    ['wait: "yes"', { wait: 'yes' }, /wait must be a boolean, got "yes"/],
    ['an unknown key', { cancel: true }, /unknown option "cancel"/],
    ['null', null, /options must be an options object, got null/],
  ])('shutdown(%s) rejects and does not shut down', async (_, options, message) => {
    const { executor, check } = busyExecutor();
    const error = await rejection(executor.shutdown(options as never));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    expect(executor.getSnapshot().shutdown).toBe(false);
    await check();
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /^options must be an options object, got null$/],
    ['5', 5, /^options must be an options object, got 5$/],
    ['true', true, /^options must be an options object, got true$/],
    ['returnExceptions: null', { returnExceptions: null }, /^returnExceptions must be a boolean, got null$/],
  ])('filter(pred, items, %s) rejects with a TypeError (never "use the defaults")', async (_, options, message) => {
    const { executor, check } = busyExecutor();
    const error = await rejection(executor.filter((x: number) => x > 0, [1, 2], options as never));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    await check();
  });

  it('messages say what was given instead: a promise for a function, any number for a priority', async () => {
    const { executor, check } = busyExecutor();
    const promise = Promise.resolve(1);
    expect(() => executor.submit(promise as never)).toThrow(new TypeError('fn must be a function, got a promise'));
    expect(() => successfulFuture().addDoneCallback(promise as never)).toThrow(
      new TypeError('cb must be a function, got a promise'),
    );
    expect(() => executor.submit(() => 1, { priority: 'high' as never })).toThrow(
      new TypeError('priority must be a finite number, got "high"'),
    );
    expect(() => executor.submit(() => 1, { timeout: -1 })).toThrow(
      new RangeError('timeout must be a number > 0 or Infinity, got -1'),
    );
    await check();
  });

  it("an unknown option another library's name or another case of ours suggests ours", async () => {
    expect(() => new AsyncExecutor({ concurrency: 4 } as never)).toThrow(
      new TypeError('options has an unknown option "concurrency" (did you mean "maxWorkers"?)'),
    );
    expect(() => new AsyncExecutor({ max_workers: 4 } as never)).toThrow(
      new TypeError('options has an unknown option "max_workers" (did you mean "maxWorkers"?)'),
    );
    const executor = new AsyncExecutor();
    await expect(executor.map((x: number) => x, [1], { concurrency: 2 } as never)).rejects.toThrow(
      new TypeError('options has an unknown option "concurrency" (did you mean "maxConcurrency"?)'),
    );
    expect(() => executor.submit(() => 1, { retry: 3 } as never)).toThrow(
      new TypeError('options has an unknown option "retry" (did you mean "retries"?)'),
    );
    expect(() => executor.submit(() => 1, { frobnicate: 3 } as never)).toThrow(
      new TypeError('options has an unknown option "frobnicate"'),
    );
    for (const key of ['constructor', 'toString', '__proto__x']) {
      expect(() => executor.submit(() => 1, { [key]: 3 } as never)).toThrow(
        new TypeError(`options has an unknown option "${key}"`),
      );
    }
  });

  it('filter after shutdown names filter', async () => {
    const executor = new AsyncExecutor();
    await executor.shutdown();
    await expect(executor.filter(() => true, [1])).rejects.toThrow(
      new ExecutorShutdownError('executor is shut down: cannot filter'),
    );
  });

  it('future.result, addDoneCallback, onEvent and subscribe check their arguments', async () => {
    const future = successfulFuture();
    // result() returns a promise: bad input rejects it (a `.catch` attached to the call sees it), at once.
    const results = [
      future.result({ timeout: -1 }),
      future.result(null as never),
      future.result({ signal: {} as never }),
      future.result({ timeOut: 5 } as never),
    ].map((p) => rejection(p));
    expect(await results[0]).toEqual(new RangeError('timeout must be a number ≥ 0 or Infinity, got -1'));
    expect(await results[1]).toBeInstanceOf(TypeError);
    expect(await results[2]).toBeInstanceOf(TypeError);
    expect(await results[3]).toEqual(
      new TypeError('options has an unknown option "timeOut" (did you mean "timeout"?)'),
    );
    expect(() => future.addDoneCallback('cb' as never)).toThrow(TypeError);
    const executor = new AsyncExecutor();
    expect(() => executor.onEvent(5 as never)).toThrow(new TypeError('listener must be a function, got 5'));
    expect(() => executor.subscribe(null as never)).toThrow(TypeError);
    // A string is quoted, as in every other message: 5 and "5" read differently.
    expect(() => executor.subscribe('5' as never)).toThrow(new TypeError('listener must be a function, got "5"'));
    expect(await rejection(withTimeout('5' as never, 10))).toEqual(
      new TypeError('fnOrPromise must be a function or a promise, got "5"'),
    );
  });
});

describe('an input iterator that throws', () => {
  // p-limit issue #110: a throwing iterator must reject the map, not leave an unhandled rejection.
  function* breaking(error: Error): Generator<number> {
    yield 0;
    yield 1;
    yield 2;
    throw error;
  }

  it('rejects the map with that error and cancels what it started', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const error = new Error('source broke');
    const signals: AbortSignal[] = [];
    const result = outcome(
      executor.map(async (x: number, { signal }) => {
        signals.push(signal);
        await sleep(10 + x, signal);
        return x;
      }, breaking(error)),
    );
    await flush();
    expect(await result).toEqual({ ok: false, error });
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    await withTime(executor.onIdle());
    expect(executor.getSnapshot()).toMatchObject({ submitted: 3, cancelled: 3, running: 0, queued: 0 });
    expect(await executor.map((x: number) => x + 1, [1, 2])).toEqual([2, 3]);
  });

  it('ends a mapIter with that error', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const error = new Error('source broke');
    const signals: AbortSignal[] = [];
    const it = executor.mapIter(
      async (x: number, { signal }) => {
        signals.push(signal);
        await sleep(10, signal);
        return x;
      },
      breaking(error),
      { bufferSize: 5 },
    );
    expect(await rejection(it.next())).toBe(error);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it('an async iterator that rejects, or throws from next(), rejects the map', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const error = new Error('async source broke');
    async function* rejecting(): AsyncGenerator<number> {
      yield 1;
      await sleep(5);
      throw error;
    }
    expect(await rejection(withTime(executor.map((x: number) => x, rejecting())))).toBe(error);
    const throwingNext: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          throw error;
        },
      }),
    };
    expect(await rejection(executor.map((x: number) => x, throwingNext))).toBe(error);
    const throwingIterator: Iterable<number> = {
      [Symbol.iterator]: () => {
        throw error;
      },
    };
    expect(await rejection(executor.map((x: number) => x, throwingIterator))).toBe(error);
    expect(() => executor.mapIter((x: number) => x, throwingIterator)).toThrow(error);
  });

  it('the cancelled items of a broken map reject nobody: no unhandled rejection', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const error = new Error('broke');
    const result = executor.map(async (x: number) => {
      await sleep(x);
      return x;
    }, breaking(error));
    expect(await rejection(withTime(result))).toBe(error);
    await withTime(executor.shutdown());
    expect(executor.getSnapshot().cancelled).toBeGreaterThan(0);
  });
});

describe('null is never "use the default"', () => {
  it.each<[string, () => unknown]>([
    ['maxWorkers', () => new AsyncExecutor({ maxWorkers: null as never })],
    ['submit retries', () => new AsyncExecutor().submit(() => 1, { retries: null as never })],
    ['submit priority', () => new AsyncExecutor().submit(() => 1, { priority: null as never })],
    ['mapIter bufferSize', () => new AsyncExecutor().mapIter((x: number) => x, [1], { bufferSize: null as never })],
    ['resize', () => new AsyncExecutor().resize(null as never)],
  ])('%s: null', (_, call) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(/got null/);
  });

  it('wait returnWhen: null', async () => {
    const f: AsyncFuture<number> = successfulFuture();
    expect(await rejection(wait([f], { returnWhen: null as never }))).toBeInstanceOf(TypeError);
  });
});
