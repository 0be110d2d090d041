/**
 * SPEC.md "Invariants" 1–3 as properties over random schedules: tasks of
 * random durations that succeed, fail, time out and retry, honour or ignore
 * their signal, get cancelled; maps and streams with their own
 * `maxConcurrency`, aborted or left early; pauses, resizes and a shutdown
 * with or without `cancelFutures` at a random moment. Everything runs on the
 * fake clock.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ExecutorShutdownError } from '../errors.js';
import { AsyncExecutor } from '../executor.js';
import type { AsyncFuture, FutureState } from '../future.js';
import type { ExecutorSnapshot, TaskEventType } from '../snapshot.js';
import type { TaskContext } from '../task.js';
import { flush, Gauge, outcome, perform, sleep, useFakeTimers, type Work } from './test-utils.js';

useFakeTimers();

const work: fc.Arbitrary<Work> = fc.record({
  duration: fc.integer({ min: 0, max: 40 }),
  sync: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
  fails: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  ignoresSignal: fc.boolean(),
});

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const taskSpec = fc.record({
  at: fc.integer({ min: 0, max: 60 }),
  work,
  cancelAfter: maybe(fc.integer({ min: 0, max: 50 })),
  priority: fc.integer({ min: -1, max: 1 }),
  timeout: maybe(fc.integer({ min: 1, max: 30 })),
  retries: fc.integer({ min: 0, max: 2 }),
  retryDelay: fc.integer({ min: 0, max: 20 }),
});

const mapSpec = fc.record({
  at: fc.integer({ min: 0, max: 60 }),
  kind: fc.constantFrom('map', 'mapIter', 'mapIter unordered'),
  items: fc.array(work, { maxLength: 10 }),
  /** items come from an async generator that waits between them */
  asyncSource: fc.boolean(),
  sourceDelay: fc.integer({ min: 0, max: 10 }),
  bufferSize: maybe(fc.integer({ min: 1, max: 3 })),
  maxConcurrency: fc.integer({ min: 1, max: 3 }),
  abortAfter: maybe(fc.integer({ min: 0, max: 50 })),
  consumerDelay: fc.integer({ min: 0, max: 10 }),
  breakAfter: maybe(fc.integer({ min: 0, max: 4 })),
});

const opSpec = fc.oneof(
  fc.record({
    type: fc.constant('pause' as const),
    at: fc.integer({ min: 0, max: 80 }),
    length: fc.integer({ min: 0, max: 30 }),
  }),
  fc.record({
    type: fc.constant('resize' as const),
    at: fc.integer({ min: 0, max: 80 }),
    size: fc.integer({ min: 1, max: 4 }),
  }),
);

const schedule = fc.record({
  maxWorkers: fc.integer({ min: 1, max: 4 }),
  tasks: fc.array(taskSpec, { maxLength: 12 }),
  maps: fc.array(mapSpec, { maxLength: 2 }),
  ops: fc.array(opSpec, { maxLength: 4 }),
  shutdown: maybe(fc.record({ at: fc.integer({ min: 0, max: 90 }), cancelFutures: fc.boolean(), wait: fc.boolean() })),
});

type Schedule = typeof schedule extends fc.Arbitrary<infer S> ? S : never;

const TERMINAL = new Set<TaskEventType>(['succeeded', 'failed', 'cancelled']);

function countsAddUp(s: ExecutorSnapshot): boolean {
  return s.queued + s.running + s.retrying + s.succeeded + s.failed + s.cancelled === s.submitted;
}

/** Runs one schedule to its end and returns every broken rule found along the way. */
async function run(s: Schedule): Promise<string[]> {
  vi.clearAllTimers();
  const violations: string[] = [];
  const executor = new AsyncExecutor({ maxWorkers: s.maxWorkers });
  /** every task function in flight, including cancelled or timed-out ones that ignore their signal */
  const inFlight = new Gauge();
  /** the contexts of the task functions in flight, and the timers they sleep on */
  const running = new Set<TaskContext>();
  const taskTimers = new Set<ReturnType<typeof setTimeout>>();
  const taskSleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const handle = setTimeout(() => {
        taskTimers.delete(handle);
        resolve();
      }, ms);
      taskTimers.add(handle);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(handle);
          taskTimers.delete(handle);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  const ownTimers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, fn: () => void) => {
    const handle = setTimeout(() => {
      ownTimers.delete(handle);
      fn();
    }, ms);
    ownTimers.add(handle);
  };
  const ownSleep = (ms: number) => new Promise<void>((resolve) => later(ms, resolve));
  const events = new Map<number, TaskEventType[]>();
  executor.onEvent((e) => {
    const list = events.get(e.taskId) ?? [];
    list.push(e.type);
    events.set(e.taskId, list);
  });
  const futures: { future: AsyncFuture<unknown>; calls: number; stateAtDone: FutureState | undefined }[] = [];
  const pending: Promise<unknown>[] = [];
  let shutdownCalled = false;
  let shutdownResolved = false;

  const body = (w: Work, group?: { gauge: Gauge; limit: number }) => (ctx: TaskContext) => {
    inFlight.enter();
    group?.gauge.enter();
    const max = executor.getSnapshot().maxWorkers;
    if (inFlight.current > max) violations.push(`${inFlight.current} tasks running with maxWorkers ${max}`);
    if (group !== undefined && group.gauge.current > group.limit) {
      violations.push(`${group.gauge.current} map tasks running with maxConcurrency ${group.limit}`);
    }
    if (ctx.signal.aborted) violations.push(`task ${ctx.taskId} started with an aborted signal`);
    if (shutdownResolved) violations.push(`task ${ctx.taskId} started after shutdown() resolved`);
    running.add(ctx);
    const exit = () => {
      running.delete(ctx);
      inFlight.exit();
      group?.gauge.exit();
    };
    return perform(w, ctx.signal, taskSleep, exit);
  };

  const check = () => {
    if (!countsAddUp(executor.getSnapshot())) violations.push('snapshot counts do not add up');
  };

  for (const t of s.tasks) {
    later(t.at, () => {
      check();
      let future: AsyncFuture<unknown>;
      try {
        future = executor.submit(body(t.work), {
          priority: t.priority,
          retries: t.retries,
          retryDelay: t.retryDelay,
          jitter: 'none',
          ...(t.timeout !== undefined ? { timeout: t.timeout } : {}),
        });
      } catch (error) {
        if (!(error instanceof ExecutorShutdownError) || !shutdownCalled)
          violations.push(`submit threw ${String(error)}`);
        return;
      }
      if (shutdownCalled) violations.push('submit accepted after shutdown');
      const record = { future, calls: 0, stateAtDone: undefined as FutureState | undefined };
      futures.push(record);
      future.addDoneCallback((f) => {
        record.calls++;
        record.stateAtDone = f.state;
      });
      if (t.cancelAfter !== undefined) later(t.cancelAfter, () => future.cancel());
    });
  }

  for (const m of s.maps) {
    later(m.at, () => {
      const controller = new AbortController();
      if (m.abortAfter !== undefined) later(m.abortAfter, () => controller.abort());
      const group = { gauge: new Gauge(), limit: m.maxConcurrency };
      const fn = (w: Work, ctx: TaskContext) => body(w, group)(ctx);
      const options = { maxConcurrency: m.maxConcurrency, signal: controller.signal };
      const items = m.asyncSource
        ? (async function* () {
            for (const w of m.items) {
              await ownSleep(m.sourceDelay);
              yield w;
            }
          })()
        : m.items;
      if (m.kind === 'map') {
        pending.push(outcome(executor.map(fn, items, options)));
        return;
      }
      let it: AsyncIterableIterator<unknown>;
      try {
        it = executor.mapIter(fn, items, {
          ...options,
          ordered: m.kind === 'mapIter',
          ...(m.bufferSize !== undefined ? { bufferSize: m.bufferSize } : {}),
        });
      } catch (error) {
        if (!(error instanceof ExecutorShutdownError)) violations.push(`mapIter threw ${String(error)}`);
        return;
      }
      const consume = async () => {
        let n = 0;
        for await (const _ of it) {
          if (m.breakAfter !== undefined && n++ >= m.breakAfter) break;
          await ownSleep(m.consumerDelay);
        }
      };
      pending.push(outcome(consume()));
    });
  }

  for (const op of s.ops) {
    if (op.type === 'pause') {
      later(op.at, () => executor.pause());
      later(op.at + op.length, () => executor.resume());
    } else later(op.at, () => executor.resize(op.size));
  }

  const afterShutdown = () => {
    // Invariant 3: nothing of the executor's outlives it — no timer but the test's and the task functions' own.
    // Every task has settled: a function still running is one that was cancelled or timed out (its signal
    // aborted) and has not returned yet; it keeps its worker slot until it does (checked at the end).
    const timers = vi.getTimerCount() - ownTimers.size - taskTimers.size;
    if (timers !== 0) violations.push(`${timers} timer(s) left after shutdown() resolved`);
    for (const ctx of running)
      if (!ctx.signal.aborted) violations.push(`task ${ctx.taskId} still running, not cancelled, after shutdown()`);
    shutdownResolved = true;
  };

  if (s.shutdown !== undefined) {
    const { at, cancelFutures, wait } = s.shutdown;
    later(at, () => {
      shutdownCalled = true;
      pending.push(executor.shutdown({ cancelFutures, wait }).then(() => (wait ? afterShutdown() : undefined)));
    });
  }

  await vi.runAllTimersAsync();
  await flush();
  await Promise.all(pending);
  if (!shutdownResolved) {
    shutdownCalled = true;
    const shut = executor.shutdown();
    await vi.runAllTimersAsync();
    await shut;
    afterShutdown();
  }

  // Invariant 2: every task settled exactly once, and nothing was lost.
  for (const { future, calls, stateAtDone } of futures) {
    if (!future.done()) violations.push(`future ${future.id} never settled`);
    if (calls !== 1) violations.push(`future ${future.id}: ${calls} done callbacks`);
    if (stateAtDone !== future.state) violations.push(`future ${future.id} changed state after settling`);
  }
  for (const [taskId, types] of events) {
    const terminal = types.filter((t) => TERMINAL.has(t));
    if (types[0] !== 'queued' || terminal.length !== 1 || !TERMINAL.has(types[types.length - 1] as TaskEventType)) {
      violations.push(`task ${taskId} events: ${types.join(',')}`);
    }
    types.forEach((t, i) => {
      if (t === 'retry' && types[i - 1] !== 'started')
        violations.push(`task ${taskId}: retry without a start: ${types.join(',')}`);
    });
  }
  const snapshot = executor.getSnapshot();
  if (snapshot.queued + snapshot.running + snapshot.retrying !== 0) violations.push('work left after the end');
  if (inFlight.current !== 0) violations.push(`${inFlight.current} task function(s) still running at the end`);
  if (snapshot.workers.some((w) => w.taskId !== undefined)) violations.push('a worker still busy at the end');
  if (!countsAddUp(snapshot) || snapshot.submitted !== events.size) violations.push('tasks lost');
  if (vi.getTimerCount() !== 0) violations.push(`${vi.getTimerCount()} timer(s) left at the end`);
  return violations;
}

/** Schedules that must always be tried: a shutdown landing in a map's pause between two items of an async source, and a stream consumed after shutdown. */
const quick: Work = { duration: 0, sync: false, fails: false, ignoresSignal: false };
const aMap = {
  at: 0,
  kind: 'map' as 'map' | 'mapIter' | 'mapIter unordered',
  items: [quick, quick, quick],
  asyncSource: true,
  sourceDelay: 5,
  bufferSize: undefined,
  maxConcurrency: 2,
  abortAfter: undefined,
  consumerDelay: 0,
  breakAfter: undefined,
};
const examples: [Schedule][] = [
  [{ maxWorkers: 2, tasks: [], ops: [], maps: [aMap], shutdown: { at: 1, cancelFutures: false, wait: true } }],
  [
    {
      maxWorkers: 1,
      tasks: [],
      ops: [],
      maps: [{ ...aMap, kind: 'mapIter', asyncSource: false, bufferSize: 1, consumerDelay: 10 }],
      shutdown: { at: 1, cancelFutures: false, wait: true },
    },
  ],
];

describe('invariants over random schedules', () => {
  it('never more than maxWorkers / maxConcurrency at once; every task settles exactly once; nothing left after shutdown', async () => {
    await fc.assert(
      fc.asyncProperty(schedule, async (s) => {
        expect(await run(s)).toEqual([]);
      }),
      { numRuns: 150, examples },
    );
  });

  it('a cancelled task that ignores its signal keeps its slot under retries and timeouts', async () => {
    // The directed case behind the property: attempt 1 times out but runs on; the retry waits for its slot.
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.record({
            duration: fc.integer({ min: 1, max: 50 }),
            timeout: fc.integer({ min: 1, max: 20 }),
            cancelAt: maybe(fc.integer({ min: 0, max: 60 })),
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        async (maxWorkers, specs) => {
          vi.clearAllTimers();
          const executor = new AsyncExecutor({ maxWorkers });
          const gauge = new Gauge();
          const futures = specs.map(({ duration, timeout }) =>
            executor.submit(() => gauge.run(() => sleep(duration)), {
              timeout,
              retries: 1,
              retryDelay: 1,
              jitter: 'none',
            }),
          );
          specs.forEach(({ cancelAt }, i) => {
            if (cancelAt !== undefined) setTimeout(() => futures[i]?.cancel(), cancelAt);
          });
          await vi.runAllTimersAsync();
          await executor.shutdown();
          expect(gauge.peak).toBeLessThanOrEqual(maxWorkers);
          expect(futures.every((f) => f.done())).toBe(true);
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
