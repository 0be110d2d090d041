/**
 * SPEC.md "Invariants" 1–3 where gates are shared: two or three executors whose tasks share one or two
 * `Semaphore`s and a `RateLimiter` (per task, or as an executor's own limit), under random schedules of
 * retries, timeouts, tasks that ignore their signal, cancel, cancelAll, shutdown with or without
 * `cancelFutures`, maps with `maxConcurrency` and a semaphore, priorities, callers outside the executors
 * holding a permit, and pause / resume / resize at random moments — from outside, from inside a running task
 * and from a done callback. Everything runs on the fake clock.
 *
 * Checked at every start, at every task event and after every 1 ms:
 * - never more task functions running than `maxWorkers`, a semaphore's permits or a map's `maxConcurrency` (1);
 * - no task starts once cancelled, with its signal aborted, or while its executor is paused (`pause()`);
 * - snapshot counts add up, and `paused` is what was last asked for;
 * - tasks of one executor with the same semaphore (or none) and the same limiters start by priority, and in
 *   submit order within a priority: no task starts after a later one of the same or a lower priority —
 *   except tasks passing two limiters (the executor's own and the shared one), which take their tokens one
 *   at a time and may lose their place to a later task;
 * - while every executor using a semaphore is paused, its permits are held only by running task functions
 *   and outside callers: paused executors hand back what their queued tasks hold or wait in line for.
 * At the end: every future settled exactly once, with one done callback and one terminal event, last (2);
 * onIdle() and shutdown() resolve once everything is resumed; every semaphore is whole (`available ===
 * permits`, nobody waiting) and no timer is left (3).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  type AsyncFuture,
  ExecutorShutdownError,
  type ExecutorSnapshot,
  type FutureState,
  RateLimiter,
  Semaphore,
  type TaskContext,
  type TaskEventType,
} from '../index.js';
import { Gauge, isSettled, perform, sleep, useFakeTimers, type Work } from './test-utils.js';

useFakeTimers();

/** The priorities tasks are given (below). */
const PRIORITIES = [-1, 0, 1];
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Which executor or semaphore: taken modulo how many the schedule has. */
const pick = fc.nat(2);
const at = fc.integer({ min: 0, max: 40 });
const limits = fc.record({ limit: fc.integer({ min: 1, max: 3 }), interval: fc.integer({ min: 5, max: 40 }) });

const work: fc.Arbitrary<Work> = fc.record({
  duration: fc.integer({ min: 0, max: 30 }),
  sync: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
  fails: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  ignoresSignal: fc.boolean(),
});

/** Done from inside a task function or a done callback: a pause lasts `n` ms; a resize goes to 1 + n % 3; `cancel` cancels the n-th future. */
const innerOp = fc.record({
  type: fc.constantFrom('pause', 'resume', 'resize', 'cancelAll', 'cancel'),
  exec: pick,
  n: fc.integer({ min: 0, max: 30 }),
});

const taskSpec = fc.record({
  at,
  exec: pick,
  semaphore: maybe(pick),
  work,
  priority: fc.constantFrom(0, 0, 0, 1, -1),
  retries: fc.integer({ min: 0, max: 2 }),
  retryDelay: fc.integer({ min: 0, max: 15 }),
  timeout: maybe(fc.integer({ min: 1, max: 25 })),
  cancelAfter: maybe(fc.integer({ min: 0, max: 40 })),
  sharedLimiter: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  inside: maybe(innerOp),
  onDone: maybe(innerOp),
});

const mapSpec = fc.record({
  at,
  exec: pick,
  semaphore: maybe(pick),
  items: fc.array(work, { maxLength: 8 }),
  maxConcurrency: fc.integer({ min: 1, max: 3 }),
  returnExceptions: fc.boolean(),
  priority: fc.constantFrom(0, 0, 1, -1),
  retries: fc.integer({ min: 0, max: 1 }),
  timeout: maybe(fc.integer({ min: 1, max: 25 })),
});

const later = fc.integer({ min: 0, max: 60 });
const opSpec = fc.oneof(
  fc.record({ type: fc.constant('pause' as const), exec: pick, at: later, length: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ type: fc.constant('resize' as const), exec: pick, at: later, size: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ type: fc.constant('cancelAll' as const), exec: pick, at: later }),
  /** a caller outside the executors holds a permit for `length` ms */
  fc.record({
    type: fc.constant('hold' as const),
    semaphore: pick,
    at: later,
    length: fc.integer({ min: 0, max: 20 }),
  }),
);

const schedule = fc.record({
  executors: fc.array(
    fc.record({
      maxWorkers: fc.integer({ min: 1, max: 3 }),
      rateLimit: fc.oneof(fc.constant(undefined), fc.constant('shared' as const), limits),
    }),
    { minLength: 2, maxLength: 3 },
  ),
  permits: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
  sharedLimiter: limits,
  tasks: fc.array(taskSpec, { minLength: 4, maxLength: 24 }),
  maps: fc.array(mapSpec, { maxLength: 3 }),
  ops: fc.array(opSpec, { minLength: 1, maxLength: 8 }),
  shutdown: maybe(fc.record({ at: fc.integer({ min: 0, max: 90 }), exec: pick, cancelFutures: fc.boolean() })),
});

type Schedule = typeof schedule extends fc.Arbitrary<infer S> ? S : never;
type InnerOp = NonNullable<Schedule['tasks'][number]['inside']>;

const TERMINAL = new Set<TaskEventType>(['succeeded', 'failed', 'cancelled']);

function countsAddUp(s: ExecutorSnapshot): boolean {
  return s.queued + s.running + s.retrying + s.succeeded + s.failed + s.cancelled === s.submitted;
}

/** An executor and what the test knows of it. */
interface Lane {
  name: string;
  executor: AsyncExecutor;
  /** it has a rate limit of its own (not the shared limiter) */
  ownLimiter: boolean;
  /** what was last asked of it */
  paused: boolean;
  shut: boolean;
  /** its task functions in flight, including cancelled or timed-out ones that ignore their signal */
  running: Gauge;
}

/** A semaphore, who holds it (task functions and outside callers), and the executors given tasks with it. */
interface Gate {
  name: string;
  semaphore: Semaphore;
  holders: Gauge;
  users: Set<Lane>;
}

/** Where a task function runs: its executor, its semaphore and its map's limit. */
interface Start {
  lane: Lane;
  gate: Gate | undefined;
  map?: { running: Gauge; limit: number };
  /** the tasks it keeps priority and submit order with; none for map items and tasks passing two limiters */
  orderClass?: string | undefined;
  priority?: number;
  /** what the task function does as it starts */
  inside?: InnerOp | undefined;
}

/** Runs one schedule to its end and returns every broken rule found along the way. */
async function run(s: Schedule): Promise<string[]> {
  vi.clearAllTimers();
  const violations = new Set<string>();
  const violation = (message: string) => violations.add(message);

  const shared = new RateLimiter(s.sharedLimiter);
  const lanes: Lane[] = s.executors.map(({ maxWorkers, rateLimit }, i) => ({
    name: `e${i}`,
    executor: new AsyncExecutor({
      maxWorkers,
      name: `e${i}`,
      ...(rateLimit === undefined ? {} : { rateLimit: rateLimit === 'shared' ? shared : rateLimit }),
    }),
    ownLimiter: typeof rateLimit === 'object',
    paused: false,
    shut: false,
    running: new Gauge(),
  }));
  const gates: Gate[] = s.permits.map((permits, k) => ({
    name: `sem${k}`,
    semaphore: new Semaphore(permits),
    holders: new Gauge(),
    users: new Set(),
  }));
  const lane = (n: number) => lanes[n % lanes.length] as Lane;
  const gate = (n: number | undefined) => (n === undefined ? undefined : (gates[n % gates.length] as Gate));

  /** per executor, order class and priority, the id of the latest task started */
  const lastStarted = new Map<string, number>();
  const cancelled = new Set<number>();
  const events = new Map<number, TaskEventType[]>();
  const futures: { future: AsyncFuture<unknown>; calls: number; stateAtDone?: FutureState }[] = [];
  const pending: Promise<unknown>[] = [];

  for (const { name, executor } of lanes) {
    executor.onEvent((e) => {
      const list = events.get(e.taskId) ?? [];
      list.push(e.type);
      events.set(e.taskId, list);
      if (e.type === 'cancelled') cancelled.add(e.taskId);
      if (!countsAddUp(executor.getSnapshot())) violation(`${name}: snapshot counts do not add up at a '${e.type}'`);
    });
  }

  const holding = (g: Gate) => {
    if (g.holders.current > g.semaphore.permits)
      violation(`${g.name}: ${g.holders.current} holders of ${g.semaphore.permits} permits`);
  };
  const resume = (l: Lane) => {
    l.paused = false;
    l.executor.resume();
  };
  const pause = (l: Lane, length: number) => {
    l.paused = true;
    l.executor.pause();
    setTimeout(() => resume(l), length);
  };
  const inner = (op: InnerOp | undefined) => {
    if (op === undefined) return;
    const l = lane(op.exec);
    if (op.type === 'pause') pause(l, op.n);
    else if (op.type === 'resume') resume(l);
    else if (op.type === 'resize') l.executor.resize(1 + (op.n % 3));
    else if (op.type === 'cancelAll') l.executor.cancelAll();
    else futures[op.n % Math.max(1, futures.length)]?.future.cancel();
  };

  const body = (w: Work, start: Start) => (ctx: TaskContext) => {
    const { lane: l, gate: g, map } = start;
    const task = `task ${ctx.taskId} (${l.name})`;
    if (cancelled.has(ctx.taskId)) violation(`${task} started after it was cancelled`);
    if (ctx.signal.aborted) violation(`${task} started with an aborted signal`);
    if (l.paused) violation(`${task} started while its executor is paused`);
    const gauges = [l.running, g?.holders, map?.running];
    for (const gauge of gauges) gauge?.enter();
    const { maxWorkers } = l.executor.getSnapshot();
    if (l.running.current > maxWorkers) violation(`${l.name}: ${l.running.current} running, maxWorkers ${maxWorkers}`);
    if (g !== undefined) holding(g);
    if (map !== undefined && map.running.current > map.limit)
      violation(`map on ${l.name}: ${map.running.current} running, maxConcurrency ${map.limit}`);
    if (start.orderClass !== undefined && ctx.attempt === 1) {
      const key = (priority: number) => `${l.name}, ${start.orderClass}, priority ${priority}`;
      const mine = start.priority ?? 0;
      for (const p of PRIORITIES) {
        const last = lastStarted.get(key(p)) ?? -1;
        if (p <= mine && ctx.taskId < last)
          violation(`${task} (priority ${mine}) started after task ${last} (priority ${p}, ${start.orderClass})`);
      }
      lastStarted.set(key(mine), Math.max(lastStarted.get(key(mine)) ?? -1, ctx.taskId));
    }
    const exit = () => {
      for (const gauge of gauges) gauge?.exit();
    };
    inner(start.inside);
    return perform(w, ctx.signal, sleep, exit);
  };

  for (const t of s.tasks) {
    setTimeout(() => {
      const l = lane(t.exec);
      const g = gate(t.semaphore);
      g?.users.add(l);
      const orderClass =
        t.sharedLimiter && l.ownLimiter
          ? undefined
          : `${g?.name ?? 'no semaphore'}${t.sharedLimiter ? ', shared limiter' : ''}`;
      let future: AsyncFuture<unknown>;
      try {
        future = l.executor.submit(
          body(t.work, { lane: l, gate: g, orderClass, priority: t.priority, inside: t.inside }),
          {
            priority: t.priority,
            retries: t.retries,
            retryDelay: t.retryDelay,
            jitter: 'none',
            ...(t.timeout === undefined ? {} : { timeout: t.timeout }),
            ...(g === undefined ? {} : { semaphore: g.semaphore }),
            ...(t.sharedLimiter ? { rateLimit: shared } : {}),
          },
        );
      } catch (error) {
        if (!(error instanceof ExecutorShutdownError) || !l.shut) violation(`submit threw ${String(error)}`);
        return;
      }
      const record: (typeof futures)[number] = { future, calls: 0 };
      futures.push(record);
      future.addDoneCallback((f) => {
        record.calls++;
        record.stateAtDone = f.state;
        inner(t.onDone);
      });
      if (t.cancelAfter !== undefined) setTimeout(() => future.cancel(), t.cancelAfter);
    }, t.at);
  }

  for (const m of s.maps) {
    setTimeout(() => {
      const l = lane(m.exec);
      const g = gate(m.semaphore);
      g?.users.add(l);
      const start: Start = { lane: l, gate: g, map: { running: new Gauge(), limit: m.maxConcurrency } };
      const done = l.executor.map((w: Work, ctx) => body(w, start)(ctx), m.items, {
        maxConcurrency: m.maxConcurrency,
        returnExceptions: m.returnExceptions,
        priority: m.priority,
        retries: m.retries,
        retryDelay: 3,
        jitter: 'none',
        ...(m.timeout === undefined ? {} : { timeout: m.timeout }),
        ...(g === undefined ? {} : { semaphore: g.semaphore }),
      });
      pending.push(
        done.catch((error: unknown) => {
          if (error instanceof ExecutorShutdownError && !l.shut) violation(`map on ${l.name} rejected as shut down`);
        }),
      );
    }, m.at);
  }

  for (const op of s.ops) {
    if (op.type === 'hold') {
      const g = gate(op.semaphore) as Gate;
      const hold = async () => {
        await g.semaphore.acquire();
        g.holders.enter();
        holding(g);
        await sleep(op.length);
        g.holders.exit();
        g.semaphore.release();
      };
      setTimeout(() => pending.push(hold()), op.at);
      continue;
    }
    const l = lane(op.exec);
    if (op.type === 'pause') setTimeout(() => pause(l, op.length), op.at);
    else if (op.type === 'resize') setTimeout(() => l.executor.resize(op.size), op.at);
    else setTimeout(() => l.executor.cancelAll(), op.at);
  }

  if (s.shutdown !== undefined) {
    const { at, exec, cancelFutures } = s.shutdown;
    const l = lane(exec);
    setTimeout(() => {
      l.shut = true;
      pending.push(l.executor.shutdown({ wait: false, cancelFutures }));
    }, at);
  }

  const check = () => {
    for (const { name, executor, paused } of lanes) {
      const snapshot = executor.getSnapshot();
      if (!countsAddUp(snapshot)) violation(`${name}: snapshot counts do not add up`);
      if (snapshot.paused !== paused) violation(`${name}: snapshot.paused is ${snapshot.paused}`);
    }
    for (const { name, semaphore, holders, users } of gates) {
      const held = semaphore.permits - semaphore.available;
      if (semaphore.available < 0 || held < 0) violation(`${name}: ${semaphore.available} available`);
      if (users.size > 0 && [...users].every((l) => l.paused) && held > holders.current)
        violation(`${name}: every executor using it paused, yet ${held} permits held by ${holders.current} holders`);
    }
  };
  /** Move the clock 1 ms at a time, checking after each, until no timer is left. */
  const runOut = async () => {
    for (let t = 0; vi.getTimerCount() > 0 && t < 3000; t++) {
      await vi.advanceTimersByTimeAsync(1);
      check();
    }
  };

  await runOut();
  for (const l of lanes) resume(l);
  await runOut();

  for (const { name, executor } of lanes) {
    if (!(await isSettled(executor.onIdle()))) violation(`${name}: onIdle() did not resolve`);
  }
  if (!(await isSettled(Promise.all(lanes.map((l) => l.executor.shutdown()))))) violation('shutdown() did not resolve');
  if (!(await isSettled(Promise.all(pending)))) violation('a map, shutdown or outside acquire never settled');

  for (const { future, calls, stateAtDone } of futures) {
    if (!future.done()) violation(`future ${future.id} never settled`);
    if (calls !== 1) violation(`future ${future.id}: ${calls} done callbacks`);
    if (stateAtDone !== future.state) violation(`future ${future.id} changed state after settling`);
  }
  for (const [taskId, types] of events) {
    const terminal = types.filter((t) => TERMINAL.has(t)).length;
    if (types[0] !== 'queued' || terminal !== 1 || !TERMINAL.has(types.at(-1) as TaskEventType))
      violation(`task ${taskId} events: ${types.join(',')}`);
  }
  for (const { name, executor, running } of lanes) {
    const { queued, running: busy, retrying, workers } = executor.getSnapshot();
    if (queued + busy + retrying !== 0)
      violation(`${name}: ${queued} queued, ${busy} running, ${retrying} retrying at the end`);
    if (workers.some((w) => w.taskId !== undefined)) violation(`${name}: a worker still busy at the end`);
    if (running.current !== 0) violation(`${name}: ${running.current} task functions still running at the end`);
  }
  for (const { name, semaphore } of gates) {
    if (semaphore.available !== semaphore.permits || semaphore.waiting !== 0)
      violation(
        `${name}: ${semaphore.available} of ${semaphore.permits} available, ${semaphore.waiting} waiting at the end`,
      );
  }
  if (vi.getTimerCount() !== 0) violation(`${vi.getTimerCount()} timer(s) left at the end`);
  return [...violations];
}

describe('executors sharing semaphores and rate limiters, over random schedules', () => {
  it('respect every limit, start nothing cancelled or paused, keep submit order, settle everything once, leave the gates whole', async () => {
    await fc.assert(
      fc.asyncProperty(schedule, async (s) => {
        expect(await run(s)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});
