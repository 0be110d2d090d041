/**
 * Nothing keeps a settled task's future, value or error alive: the executor, a map and a `mapIter`
 * iterator let go of them once they are handed over. Ports of the reference tests of cf-taskpool and
 * CPython, with a real garbage collection (`--expose-gc` set at run time) and `WeakRef`s.
 */
import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../errors.js';
import { AsyncExecutor } from '../executor.js';
import { asCompleted, WaitStrategy, wait } from '../wait.js';
import { collected, Payload } from './gc.js';

/** Takes `n` values from `iterator` in a frame of its own (so no frame of the test holds the last one). */
async function takeWeakly(iterator: AsyncIterator<unknown>, n: number): Promise<WeakRef<object>[]> {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < n; i++) refs.push(new WeakRef((await iterator.next()).value as object));
  return refs;
}

describe('references', () => {
  it('a settled future and its value are not held by the executor (cf-taskpool tests/test_task_pool.py::test_free_future_reference)', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    let future: ReturnType<typeof executor.submit<Payload>> | undefined = executor.submit(async () => new Payload());
    const value = new WeakRef(await future);
    const held = new WeakRef(future);
    future = undefined;
    expect(await collected(held)).toBe(true);
    expect(await collected(value)).toBe(true);
    expect(executor.getSnapshot().succeeded).toBe(1); // the executor is still alive and counting
  });

  it('nor a failed one and its error, nor the task function (CPython test_concurrent_futures/executor.py::test_no_stale_references)', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const box: { fn?: () => Promise<never> } = {
      fn: async () => {
        throw new Error('boom');
      },
    };
    const fn = new WeakRef(box.fn as object);
    let future: ReturnType<typeof executor.submit<never>> | undefined = executor.submit(
      box.fn as () => Promise<never>,
      {
        retries: 1,
        retryDelay: 0,
        signal: new AbortController().signal,
      },
    );
    delete box.fn;
    const error = new WeakRef((await future.catch((e: unknown) => e)) as object);
    const held = new WeakRef(future);
    future = undefined;
    expect(await collected(held)).toBe(true);
    expect(await collected(error)).toBe(true);
    expect(await collected(fn)).toBe(true);
    expect(executor.getSnapshot().failed).toBe(1);
  });

  it('map results are not retained by a mapIter iterator once handed over (cf-taskpool tests/test_task_pool.py::test_free_result_reference)', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const iterator = executor.mapIter(async () => new Payload(), [1, 2, 3, 4], { bufferSize: 2 });
    const handed = await takeWeakly(iterator, 3);
    const kept = [];
    for (const ref of handed) kept.push(await collected(ref));
    expect(kept).toEqual([true, true, true]);
    expect((await iterator.next()).done).toBe(false); // the iterator is alive and still yields
    expect((await iterator.next()).done).toBe(true);
  });

  it('a map call keeps its results only until it resolves with them', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    let results: Payload[] | undefined = await executor.map(async () => new Payload(), [1, 2, 3]);
    const refs = results.map((r) => new WeakRef(r));
    results = undefined;
    for (const ref of refs) expect(await collected(ref)).toBe(true);
  });

  it('a wait() that returned holds nothing of its call on a future still pending (CPython removes its waiters too)', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const forever = executor.submit(() => new Promise<never>(() => {}));
    const [first, timedOut] = await (async () => {
      const quick = executor.submit(async () => new Payload());
      await wait([forever, quick], { returnWhen: WaitStrategy.FIRST_COMPLETED });
      const other = executor.submit(() => new Payload());
      await wait([forever, other], { timeout: 1 });
      return [new WeakRef(quick), new WeakRef(other)];
    })();
    expect(await collected(first)).toBe(true);
    expect(await collected(timedOut)).toBe(true);
    forever.cancel();
  });

  it('an asCompleted left early holds nothing on a future still pending', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const forever = executor.submit(() => new Promise<never>(() => {}));
    const ref = await (async () => {
      const quick = executor.submit(() => new Payload());
      for await (const _ of asCompleted([forever, quick])) break;
      return new WeakRef(quick);
    })();
    expect(await collected(ref)).toBe(true);
    forever.cancel();
  });

  it('an asCompleted closed by its signal, then dropped unread, holds nothing on a future still pending', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 4 });
    const forever = executor.submit(() => new Promise<never>(() => {}));
    const ref = await (async () => {
      const controller = new AbortController();
      const quick = executor.submit(() => new Payload());
      asCompleted([forever, quick], { signal: controller.signal }); // never read
      await quick;
      controller.abort(); // the caller gives up and drops the iterator
      return new WeakRef(quick);
    })();
    expect(await collected(ref)).toBe(true);
    forever.cancel();
  });

  it('a result() wait that gave up (timeout) holds nothing on the future: its signal can go', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    const forever = executor.submit(() => new Promise<never>(() => {}));
    const ref = await (async () => {
      const signal = new AbortController().signal;
      const error = await forever.result({ timeout: 1, signal }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      return new WeakRef(signal);
    })();
    expect(await collected(ref)).toBe(true);
    forever.cancel();
  });

  it('tasks cancelled in the queue of a busy pool are not kept there (a "latest request wins" loop)', async () => {
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    let release!: () => void;
    executor.submit(() => new Promise<void>((resolve) => (release = resolve)));
    const refs = (() => {
      const out: WeakRef<object>[] = [];
      for (let i = 0; i < 1000; i++) {
        const future = executor.submit(() => new Payload());
        future.cancel();
        out.push(new WeakRef(future));
      }
      return out;
    })();
    expect(await collected(refs[0] as WeakRef<object>)).toBe(true);
    const kept = refs.filter((r) => r.deref() !== undefined).length;
    expect(kept).toBeLessThan(70); // swept once they are half the queue: at most that many wait for a sweep
    release();
    await executor.onIdle();
  });
});
