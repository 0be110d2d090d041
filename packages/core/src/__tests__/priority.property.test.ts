/**
 * SPEC "priority: higher starts first", with a rate limit that two executors share: workers held by
 * tasks waiting for a token included (a queued task of higher priority takes such a slot), under
 * random schedules of priorities, durations, failures with a retry, cancels and pool sizes. Each
 * start checks that no queued task of its executor has a higher priority, and that its executor runs
 * no more than `maxWorkers`; at the end every future has settled.
 */
import fc from 'fast-check';
import { expect, it, vi } from 'vitest';
import { AsyncExecutor, type AsyncFuture, RateLimiter } from '../index.js';
import { useFakeTimers } from './test-utils.js';

useFakeTimers();

const taskSpec = fc.record({
  at: fc.integer({ min: 0, max: 30 }),
  exec: fc.nat(1),
  priority: fc.integer({ min: -1, max: 3 }),
  duration: fc.integer({ min: 0, max: 15 }),
  cancelAfter: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  fails: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
});

const schedule = fc.record({
  maxWorkers: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  limit: fc.integer({ min: 1, max: 2 }),
  interval: fc.integer({ min: 5, max: 20 }),
  tasks: fc.array(taskSpec, { minLength: 2, maxLength: 16 }),
});

type Schedule = typeof schedule extends fc.Arbitrary<infer S> ? S : never;

async function run(s: Schedule): Promise<string[]> {
  const violations: string[] = [];
  const limiter = new RateLimiter({ limit: s.limit, interval: s.interval });
  const executors = s.maxWorkers.map((maxWorkers) => new AsyncExecutor({ maxWorkers, rateLimit: limiter }));
  const submitted: { future: AsyncFuture<unknown>; priority: number; exec: number }[] = [];
  const running = [0, 0];
  for (const t of s.tasks) {
    setTimeout(() => {
      const executor = executors[t.exec] as AsyncExecutor;
      const future = executor.submit(
        async ({ attempt }) => {
          running[t.exec] = (running[t.exec] as number) + 1;
          if ((running[t.exec] as number) > executor.getSnapshot().maxWorkers)
            violations.push(`e${t.exec}: over maxWorkers`);
          for (const other of submitted) {
            if (other.exec === t.exec && other.future.state === 'queued' && other.priority > t.priority)
              violations.push(`a task of priority ${t.priority} started while one of ${other.priority} was queued`);
          }
          await new Promise((resolve) => setTimeout(resolve, t.duration));
          running[t.exec] = (running[t.exec] as number) - 1;
          if (t.fails && attempt === 1) throw new Error('flaky');
        },
        { priority: t.priority, retries: 1, retryDelay: 0, jitter: 'none' },
      );
      submitted.push({ future, priority: t.priority, exec: t.exec });
      if (t.cancelAfter !== undefined) setTimeout(() => future.cancel(), t.cancelAfter);
    }, t.at);
  }
  for (let i = 0; vi.getTimerCount() > 0 && i < 2000; i++) await vi.advanceTimersByTimeAsync(1);
  for (const executor of executors) await executor.shutdown();
  for (const { future } of submitted) if (!future.done()) violations.push(`future ${future.id} not settled`);
  return violations;
}

it('a start never passes a queued task of higher priority of its executor, with workers held waiting for tokens', async () => {
  await fc.assert(
    fc.asyncProperty(schedule, async (s) => {
      expect(await run(s)).toEqual([]);
    }),
    { numRuns: 300 },
  );
}, 60_000);
