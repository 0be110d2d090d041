/**
 * Ports of peer test cases (cf-taskpool `tests/`, CPython `Lib/test/test_concurrent_futures/`) that were
 * missing or only weakly ported elsewhere (see /work/shared/PEER-TESTS.md). Each case names its original.
 * Time runs on fake timers except in the two blocks that need real ones: garbage collection (WeakRef +
 * `gc`, as in references.test.ts) and the "interpreter shutdown" cases, which run a real Node child
 * process on the transpiled sources and look at what it printed and that it exited by itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  type AsyncFuture,
  asCompleted,
  CancelledError,
  InvalidStateError,
  TimeoutError,
  zip,
} from '../index';
import { collected, Payload } from './gc.js';
import {
  collect,
  counter,
  deferred,
  flush,
  isSettled,
  outcome,
  rejection,
  sleep,
  useFakeTimers,
  withTime,
} from './test-utils.js';

class ZeroDivisionError extends Error {
  override name = 'ZeroDivisionError';
}
/** cf-taskpool's `adivmod(x, y, *, cancel_if_zero=False)`: sleeps 10 ms. */
const adivmod =
  (cancelIfZero = false) =>
  async ([x, y]: readonly [number, number]) => {
    await sleep(10);
    if (y === 0) {
      if (cancelIfZero) throw new CancelledError('cancel_if_zero');
      throw new ZeroDivisionError('division by zero');
    }
    return [Math.floor(x / y), x % y] as const;
  };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('on fake timers', () => {
  useFakeTimers({ now: 0 });

  describe('map / mapIter', () => {
    it('a task cancelling itself stops the mapIter with CancelledError after the earlier results', async () => {
      // cf-taskpool tests/test_task_pool.py::test_map_exception, the cancel variant
      // (adivmod(..., cancel_if_zero=True): two results, then CancelledError)
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const it = executor.mapIter(adivmod(true), zip([1, 1, 1, 1], [2, 3, 0, 5]));
      expect(await withTime(it.next())).toEqual({ done: false, value: [0, 1] });
      expect(await withTime(it.next())).toEqual({ done: false, value: [0, 1] });
      expect(await rejection(withTime(it.next()))).toBeInstanceOf(CancelledError);
      expect(await it.next()).toEqual({ done: true, value: undefined });
      // and map() rejects with that CancelledError
      const error = await rejection(withTime(executor.map(adivmod(true), zip([1, 1, 1, 1], [2, 3, 0, 5]))));
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe('cancel_if_zero');
    });

    it('closing the iterator after one result: the next read is done, the rest is cancelled, the source closed', async () => {
      // CPython executor.py::test_map_close (closing the map iterator after one result → StopIteration)
      const executor = new AsyncExecutor({ maxWorkers: 2 });
      const count = counter();
      const signals: AbortSignal[] = [];
      const it = executor.mapIter(
        async (x: number, { signal }) => {
          signals.push(signal);
          await sleep(10 * (x + 1), signal);
          return x;
        },
        count.iterator,
        { bufferSize: 2 },
      );
      const first = outcome(it.next());
      await vi.advanceTimersByTimeAsync(10);
      expect(await first).toEqual({ ok: true, value: { done: false, value: 0 } });
      expect(signals).toHaveLength(3); // item 1 running, item 2 pulled on the hand-over
      expect(await it.return?.()).toEqual({ done: true, value: undefined });
      expect(await it.next()).toEqual({ done: true, value: undefined });
      expect(await it.next()).toEqual({ done: true, value: undefined }); // StopIteration twice
      expect(count.closed()).toBe(true);
      expect(signals.slice(1).every((s) => s.aborted)).toBe(true);
      await vi.runAllTimersAsync();
      expect(executor.getSnapshot()).toMatchObject({ running: 0, queued: 0, succeeded: 1 });
      expect(executor.getSnapshot().cancelled).toBe(executor.getSnapshot().submitted - 1);
    });

    it('a TimeoutError thrown by the callable is that item’s own failure, not the end of the call', async () => {
      // CPython executor.py::test_map_timeout_from_callable: 0, raises TimeoutError, 2, 3, StopIteration —
      // with fanout's returnExceptions (CPython main goes on after a failing call; fanout does when asked).
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const own = new TimeoutError('the callable timed out');
      const fn = async (x: number) => {
        await sleep(1);
        if (x === 1) throw own;
        return x;
      };
      const it = executor.mapIter(fn, range(4), { returnExceptions: true });
      expect(await withTime(it.next())).toEqual({ done: false, value: 0 });
      expect((await withTime(it.next())).value).toBe(own);
      expect(await withTime(it.next())).toEqual({ done: false, value: 2 });
      expect(await withTime(it.next())).toEqual({ done: false, value: 3 });
      expect(await it.next()).toEqual({ done: true, value: undefined });
      // without returnExceptions the call rejects with that very error
      expect(await rejection(withTime(executor.map(fn, range(4))))).toBe(own);
    });

    it('a call given up after 5 s: the done results came, then CancelledError, the remaining call is cancelled', async () => {
      // CPython executor.py::test_map_timeout (map(time.sleep, [0, 0, 6], timeout=5) → two results, TimeoutError,
      // "The remaining calls are cancelled"). fanout's map has no timeout: a signal that aborts after 5 s.
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new TimeoutError('map timed out')), 5000);
      const signals: AbortSignal[] = [];
      const it = executor.mapIter(
        async (s: number, { signal }) => {
          signals.push(signal);
          await sleep(s * 1000, signal);
          return null;
        },
        [0, 0, 6],
        { signal: controller.signal },
      );
      const results: unknown[] = [];
      const consume = (async () => {
        for await (const v of it) results.push(v);
      })();
      const error = await rejection(withTime(consume));
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as CancelledError).cause).toBeInstanceOf(TimeoutError);
      expect(results).toEqual([null, null]);
      expect(Date.now()).toBe(5000); // it ended at the 5 s mark, not at 6 s
      expect(signals[2]?.aborted).toBe(true);
      expect(await it.next()).toEqual({ done: true, value: undefined });
      expect(executor.getSnapshot()).toMatchObject({ succeeded: 2, cancelled: 1, running: 0 });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('undefined and null results are results, not an end-of-stream sentinel', async () => {
      // PEER-TESTS "Behaviours to avoid": antflow's None-as-sentinel dropping results
      const executor = new AsyncExecutor({ maxWorkers: 3 });
      const fn = async (x: number) => {
        await sleep(5 - x);
        return x % 2 ? null : undefined;
      };
      const expected = [undefined, null, undefined, null, undefined];
      expect(await withTime(collect(executor.mapIter(fn, range(5))))).toEqual(expected);
      expect(await withTime(collect(executor.mapIter(fn, range(5), { ordered: false })))).toHaveLength(5);
      expect(await withTime(executor.map(fn, range(5)))).toEqual(expected);
    });

    it('a map of maxWorkers + 1 items, not awaited, then shutdown: shutdown resolves and so does the map', async () => {
      // CPython executor.py::test_shutdown_race_issue12456
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const mapped = outcome(executor.map(async (x: number) => String(x), Array(5 + 1).fill(2)));
      await executor.shutdown();
      expect(await mapped).toEqual({ ok: true, value: Array(6).fill('2') });
    });
  });

  describe('shutdown', () => {
    it('cancelFutures after some tasks finished: those stay succeeded, the rest (> 20) are cancelled', async () => {
      // CPython test_shutdown.py::test_cancel_futures (> 20 cancelled, every other future done with
      // exception() None, > 0 completed) — fanout also cancels the running ones (their signals abort).
      const executor = new AsyncExecutor({ maxWorkers: 5 });
      const futures = range(50).map(() => executor.submit(({ signal }) => sleep(100, signal)));
      await vi.advanceTimersByTimeAsync(150); // 5 done at 100, 5 more running
      await executor.shutdown({ cancelFutures: true });
      const cancelled = futures.filter((f) => f.cancelled());
      const others = futures.filter((f) => !f.cancelled());
      expect(cancelled.length).toBeGreaterThan(20);
      expect(others.length).toBeGreaterThan(0);
      for (const f of others) {
        expect(f.done()).toBe(true);
        expect(f.exception()).toBeUndefined();
      }
      expect([cancelled.length, others.length]).toEqual([45, 5]);
      expect(futures.every((f) => f.done())).toBe(true);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('a running task that ignores its signal, cancelled right before shutdown({ wait: true }): no hang', async () => {
      // cf-taskpool tests/test_shutdown.py::test_hang_gh94440 (the port in shutdown.test.ts uses a task that
      // honours its signal); fanout settles a cancelled future at once, so shutdown does not wait for it.
      const executor = new AsyncExecutor({ maxWorkers: 1 });
      expect(await executor.submit(() => 1)).toBe(1);
      const running = executor.submit(() => sleep(10_000)); // ignores its signal
      await flush();
      expect(running.running()).toBe(true);
      running.cancel();
      expect(await isSettled(executor.shutdown({ wait: true }))).toBe(true);
      expect(running.cancelled()).toBe(true);
    });
  });

  describe('AsyncFuture', () => {
    it('a result() waiter wakes when the task succeeds, or when the future is cancelled', async () => {
      // CPython test_future.py::test_result_with_success / test_result_with_cancel (waiters wake on
      // set_result / cancel from another thread); test_exception_with_success (exception() then None)
      const executor = new AsyncExecutor({ maxWorkers: 2 });
      const gate = deferred<number>();
      const ok = executor.submit(() => gate.promise);
      const waiting = outcome(ok.result({ timeout: 60_000 }));
      const plain = outcome(ok.result());
      gate.resolve(42);
      expect(await waiting).toEqual({ ok: true, value: 42 });
      expect(await plain).toEqual({ ok: true, value: 42 });
      expect(ok.exception()).toBeUndefined();

      const toCancel = executor.submit(() => new Promise<number>(() => {}));
      const waitingC = outcome(toCancel.result({ timeout: 60_000 }));
      const plainC = outcome(toCancel.result());
      toCancel.cancel();
      const [a, b] = [await waitingC, await plainC];
      expect(a.ok ? undefined : a.error).toBeInstanceOf(CancelledError);
      expect(b.ok ? undefined : b.error).toBe(a.ok ? undefined : a.error);
      expect(vi.getTimerCount()).toBe(0); // both timeouts cleared
    });

    it('a cancelled running task that later throws keeps its CancelledError (the first outcome)', async () => {
      // CPython test_future.py::test_multiple_set_exception (InvalidStateError, first value kept) — fanout
      // has no set_exception; a late failure after cancel() is what can try to settle a future twice.
      const executor = new AsyncExecutor();
      const late = new Error('late failure');
      const future = executor.submit(async () => {
        await sleep(10); // ignores its signal
        throw late;
      });
      await vi.advanceTimersByTimeAsync(1);
      expect(future.cancel()).toBe(true);
      const first = await rejection(future);
      await vi.advanceTimersByTimeAsync(10);
      expect(future.state).toBe('cancelled');
      expect(await rejection(future)).toBe(first);
      expect(() => future.exception()).toThrow(first as Error);
      expect(executor.getSnapshot()).toMatchObject({ cancelled: 1, failed: 0 });
    });

    it('a coherent (done, cancelled, result, exception) view in every state', async () => {
      // CPython test_future.py::test_get_snapshot (an atomic (done, cancelled, result, exception) tuple).
      // JavaScript is single-threaded: what is checked is that the accessors agree in every state.
      const executor = new AsyncExecutor({ maxWorkers: 1 });
      const gate = deferred<number>();
      const error = new Error('e');
      const running = executor.submit(() => gate.promise);
      const queued = executor.submit(() => 2);
      const cancelled = executor.submit(() => 3);
      cancelled.cancel();
      const snapshot = async (f: AsyncFuture<number>) => {
        let exception: unknown;
        try {
          exception = f.exception();
        } catch (e) {
          exception = e;
        }
        const result = f.done() ? await outcome(f) : undefined;
        return { state: f.state, done: f.done(), cancelled: f.cancelled(), result, exception };
      };
      const notDone = (state: string) => ({
        state,
        done: false,
        cancelled: false,
        result: undefined,
        exception: expect.any(InvalidStateError),
      });
      expect(await snapshot(running)).toEqual(notDone('running'));
      expect(await snapshot(queued)).toEqual(notDone('queued'));
      const c = await snapshot(cancelled);
      expect(c).toMatchObject({ state: 'cancelled', done: true, cancelled: true });
      expect(c.exception).toBeInstanceOf(CancelledError);
      expect(c.result).toEqual({ ok: false, error: c.exception });
      gate.resolve(42);
      await flush();
      expect(await snapshot(running)).toEqual({
        state: 'succeeded',
        done: true,
        cancelled: false,
        result: { ok: true, value: 42 },
        exception: undefined,
      });
      const failed = executor.submit((): number => {
        throw error;
      });
      await flush();
      expect(await snapshot(failed)).toEqual({
        state: 'failed',
        done: true,
        cancelled: false,
        result: { ok: false, error },
        exception: error,
      });
    });

    it('String(), util.inspect() and JSON.stringify() show what it is and its state', async () => {
      // CPython test_future.py::test_repr (state=pending|running|cancelled|finished raised OSError|finished
      // returned int): Node's console.log shows the future's label and state, not its executor's whole state
      const executor = new AsyncExecutor({ maxWorkers: 1 });
      const gate = deferred<number>();
      const running = executor.submit(() => gate.promise);
      const queued = executor.submit(() => 2, { name: 'second' });
      const cancelled = executor.submit(() => 3);
      cancelled.cancel();
      expect(String(running)).toBe('[object AsyncFuture]');
      expect(inspect(running)).toBe(`AsyncFuture #${running.id} (running)`);
      expect(inspect(queued)).toBe('AsyncFuture "second" (queued)');
      expect(inspect({ f: cancelled })).toBe(`{ f: AsyncFuture #${cancelled.id} (cancelled) }`);
      expect(JSON.parse(JSON.stringify([queued]))).toEqual([
        { id: queued.id, name: 'second', state: 'queued', attempt: 0 },
      ]);
      gate.resolve(42);
      await flush();
      expect(inspect(running)).toBe(`AsyncFuture #${running.id} (succeeded)`);
      expect(JSON.stringify(running)).toBe(`{"id":${running.id},"state":"succeeded","attempt":1}`);
    });
  });
});

describe('references (real timers, real gc)', () => {
  /** Read `it` to its end in frames of their own; WeakRefs of what it yielded (dropped from `held`), and how it ended. */
  async function readAll(
    it: AsyncIterator<AsyncFuture<Payload>>,
    held: (AsyncFuture<Payload> | undefined)[],
    before: (i: number) => void = () => {},
    checkEach: (ref: WeakRef<object>) => Promise<void> = async () => {},
  ): Promise<{ refs: WeakRef<object>[]; end: unknown }> {
    const refs: WeakRef<object>[] = [];
    const readOne = async (i: number): Promise<unknown> => {
      before(i);
      const r: unknown = await it.next().catch((e: unknown) => e);
      if (r instanceof Error || (r as IteratorResult<unknown>).done) return r;
      const f = (r as IteratorYieldResult<AsyncFuture<Payload>>).value;
      const at = held.indexOf(f);
      if (at >= 0) held[at] = undefined;
      refs.push(new WeakRef(f));
      return undefined;
    };
    for (let i = 0; ; i++) {
      const end = await readOne(i);
      if (end !== undefined) return { refs, end };
      await checkEach(refs[i] as WeakRef<object>);
    }
  }

  /** CPython's fixture for the case below: 8 pending futures, one cancelled (before it started), one finished. */
  function tenFutures() {
    const executor = new AsyncExecutor({ maxWorkers: Number.POSITIVE_INFINITY });
    const gates = range(8).map(() => deferred<Payload>());
    const held: (AsyncFuture<Payload> | undefined)[] = gates.map((g) => executor.submit(() => g.promise));
    // cancelled before it started (a running one that never settles is rightly held by its worker)
    held.push(executor.submit(() => new Payload(), { signal: AbortSignal.abort() }));
    held.push(executor.submit(() => new Payload()));
    return { gates, held };
  }

  it('asCompleted (timeout 0) does not keep the already-done futures it yielded', async () => {
    // CPython test_as_completed.py::test_free_reference_yielded_future, first half (issue 14406): timeout=0 yields
    // the two finished futures, then TimeoutError; each is freed once the caller drops it.
    const { held } = tenFutures();
    const first = await readAll(asCompleted(held as AsyncFuture<Payload>[], { timeout: 0 }), held);
    expect(first.end).toBeInstanceOf(TimeoutError);
    expect(first.refs).toHaveLength(2);
    for (const ref of first.refs) expect(await collected(ref)).toBe(true);
  });

  it('asCompleted does not keep a future it has yielded, while it is still being read', async () => {
    // CPython test_as_completed.py::test_free_reference_yielded_future, second half: without a timeout, set one
    // result at a time; each yielded future is freed while the generator is still in use.
    const { gates, held } = tenFutures();
    held.splice(8); // the 8 pending ones
    const second = await readAll(
      asCompleted(held.slice() as AsyncFuture<Payload>[]),
      held,
      (i) => gates[i]?.resolve(new Payload()),
      async (ref) => expect(await collected(ref)).toBe(true), // freed while the iterator lives on
    );
    expect(second.end).toEqual({ done: true, value: undefined });
    expect(second.refs).toHaveLength(8);
  });

  it('a discarded future: the object whose method it ran is collected once it has run', async () => {
    // cf-taskpool tests/test_task_pool.py::test_no_stale_references / CPython executor.py::test_no_stale_references
    // (issue 16284; references.test.ts covers a failing, retried, awaited task — this is the successful one whose
    // future is deliberately discarded)
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    let ran = false;
    const ref = (() => {
      const myObject = new Payload();
      executor.submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        ran = myObject.method() > 0;
      });
      return new WeakRef(myObject);
    })();
    await executor.onIdle();
    expect(ran).toBe(true);
    expect(await collected(ref)).toBe(true);
  });

  it('an executor dropped without shutdown, once its work is done, is collected with its futures', async () => {
    // CPython test_shutdown.py::test_del_shutdown / cf-taskpool test_shutdown_no_wait (`del executor` variant):
    // nothing global (a registry, a timer) keeps an executor alive
    const [executorRef, futureRef, results] = await (async () => {
      const executor = new AsyncExecutor({ maxWorkers: 3 });
      const f = executor.submit(() => new Payload());
      const mapped = await executor.map(async (x: number) => Math.abs(x), [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4]);
      await f;
      return [new WeakRef(executor), new WeakRef(f), mapped] as const;
    })();
    expect(results).toEqual([5, 4, 3, 2, 1, 0, 1, 2, 3, 4]);
    expect(await collected(futureRef)).toBe(true);
    expect(await collected(executorRef)).toBe(true);
  });
});

/**
 * "Interpreter shutdown": a Node process that submits work and then simply ends its script. The sources
 * are transpiled (TypeScript's transpileModule, no type check) into a temporary directory once.
 */
describe('a Node process that submits work and ends its script (real child processes)', () => {
  let dir = '';
  const srcDir = join(import.meta.dirname, '..');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fanout-peer-'));
    mkdirSync(join(dir, 'core'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    for (const file of readdirSync(srcDir)) {
      if (!file.endsWith('.ts')) continue;
      const out = ts.transpileModule(readFileSync(join(srcDir, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(join(dir, 'core', file.replace(/\.ts$/, '.js')), out.outputText);
    }
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Run `body` (an ES module that has `AsyncExecutor` and `sleepAndPrint` in scope); stdout, stderr, exit. */
  function run(body: string): { stdout: string; stderr: string; status: number | null; signal: string | null } {
    const script = join(dir, `script-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(
      script,
      `import { AsyncExecutor } from './core/index.js';
const sleep = (ms, signal) => new Promise((resolve, reject) => {
  if (signal?.aborted) return reject(signal.reason);
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
});
/** Python's sleep_and_print(t, msg), honouring the task's signal as a JavaScript task does. */
const sleepAndPrint = (ms, msg) => async ({ signal }) => { await sleep(ms, signal); process.stdout.write(msg); };
${body}
`,
    );
    // A hang (the SIGALRM of the Python tests) ends in a kill after 10 s and fails on `status`.
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 10_000 });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
  }

  describe.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('shutdown({ wait: %s, cancelFutures: %s })', (wait, cancelFutures) => {
    it.each([
      ['module-level', false],
      ['transient', true],
    ])('%s executor: prints "apple" unless cancelFutures, and nothing on stderr', (_, transient) => {
      // cf-taskpool tests/test_shutdown.py::test_interpreter_shutdown (× transient × wait × cancel_futures);
      // CPython test_shutdown.py::test_interpreter_shutdown ("apple": the pending task still runs at exit)
      const body = transient
        ? `(() => { const e = new AsyncExecutor({ maxWorkers: 2 }); e.submit(sleepAndPrint(100, 'apple'));
             e.shutdown({ wait: ${wait}, cancelFutures: ${cancelFutures} }); })();`
        : `const e = new AsyncExecutor({ maxWorkers: 2 }); e.submit(sleepAndPrint(100, 'apple'));
           e.shutdown({ wait: ${wait}, cancelFutures: ${cancelFutures} });`;
      const r = run(body);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(cancelFutures ? '' : 'apple');
      expect(r).toMatchObject({ status: 0, signal: null });
    });
  });

  it('without shutdown: the pending task runs and the process exits', () => {
    // cf-taskpool tests/test_shutdown.py::test_interpreter_shutdown_without_executor_shutdown
    const r = run(`new AsyncExecutor({ maxWorkers: 2 }).submit(sleepAndPrint(100, 'apple'));`);
    expect(r).toMatchObject({ stdout: 'apple', stderr: '', status: 0, signal: null });
  });

  it('shutdown({ wait: false }) with running tasks does not hang at exit and they finish', () => {
    // CPython test_shutdown.py::test_hang_gh83386
    const r = run(`const e = new AsyncExecutor({ maxWorkers: 2 });
      e.submit(sleepAndPrint(100, 'apple')); e.submit(sleepAndPrint(50, ''));
      await e.shutdown({ wait: false });`);
    expect(r).toMatchObject({ stdout: 'apple', stderr: '', status: 0, signal: null });
  });

  it('shutdown({ wait: false, cancelFutures: true }): prints nothing for a task that honours its signal, "apple" for one that does not', () => {
    // CPython test_shutdown.py::test_cancel_futures_wait_false (stdout in [b"apple", b""])
    const honours = run(`const e = new AsyncExecutor({ maxWorkers: 2 }); e.submit(sleepAndPrint(100, 'apple'));
      e.shutdown({ wait: false, cancelFutures: true });`);
    expect(honours).toMatchObject({ stdout: '', stderr: '', status: 0, signal: null });
    const ignores = run(`const e = new AsyncExecutor({ maxWorkers: 2 });
      e.submit(() => sleep(100).then(() => process.stdout.write('apple')));
      e.shutdown({ wait: false, cancelFutures: true });`);
    expect(ignores).toMatchObject({ stdout: 'apple', stderr: '', status: 0, signal: null });
  });

  it('work still waiting at the end of the script — a retry delay, a rate-limit token, a queue — still runs', () => {
    // CPython test_shutdown.py::test_interpreter_shutdown: "atexit still runs the pending task"
    const r = run(`const e = new AsyncExecutor({ maxWorkers: 1, rateLimit: { limit: 1, interval: 200 } });
      e.submit(({ attempt }) => { if (attempt === 1) throw new Error('flaky'); process.stdout.write('a'); },
        { retries: 1, retryDelay: 100, jitter: 'none' });
      e.submit(sleepAndPrint(10, 'b'));
      e.submit(sleepAndPrint(10, 'c'));
      e.shutdown();`);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('').sort().join('')).toBe('abc');
    expect(r).toMatchObject({ status: 0, signal: null });
  });

  it('failed and cancelled futures nobody awaits, and a mapIter nobody reads, end the script quietly', () => {
    // cf-taskpool test_interpreter_shutdown's "stderr empty"; SPEC: a failed future nobody awaits never causes
    // an unhandled rejection (in a real process one would print to stderr and exit with code 1)
    const r = run(`const e = new AsyncExecutor({ maxWorkers: 2 });
      e.submit(() => { throw new Error('sync failure'); });
      e.submit(async () => { await sleep(5); throw new Error('async failure'); });
      e.submit(({ signal }) => sleep(50, signal)).cancel();
      e.submit(() => sleep(20)).cancel(new Error('a reason'));
      function* forever() { for (let i = 0; ; i++) yield i; }
      e.mapIter(async (x) => { await sleep(1); return x; }, forever(), { bufferSize: 2 });
      e.mapIter(async (x) => { await sleep(1); if (x === 1) throw new Error('unread failure'); return x; }, [0, 1, 2]);
      e.submit(sleepAndPrint(30, 'apple'));`);
    expect(r).toMatchObject({ stdout: 'apple', stderr: '', status: 0, signal: null });
  });

  it('after shutdown resolves nothing of the executor keeps the process alive (invariant 3)', () => {
    // CPython test_shutdown.py::test_hang_issue12364 / cf-taskpool test_hang_gh94440, in a real process: a long
    // rate-limit interval, a long per-attempt timeout, a subscriber and an event listener must not hold it open.
    const r =
      run(`const e = new AsyncExecutor({ maxWorkers: 2, rateLimit: { limit: 1, interval: 3_600_000 }, timeout: 3_600_000 });
      e.subscribe(() => {}); e.onEvent(() => {});
      const f = e.submit(() => 'x');
      const g = e.submit(() => 'never started');
      e.getSnapshot();
      process.stdout.write(String(await f));
      await e.shutdown({ cancelFutures: true });
      process.stdout.write(g.state);`);
    expect(r).toMatchObject({ stdout: 'xcancelled', stderr: '', status: 0, signal: null });
  });
});
