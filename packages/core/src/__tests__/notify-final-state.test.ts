/**
 * A listener unsubscribed right after awaiting the work (map, onIdle; try/finally, a CLI progress line, a test's
 * spy) has seen the final state: the notification of the last burst runs before the awaiting code resumes.
 * (A notifier that waited for a microtask turn with no change lost it; a review's repro.)
 * SPEC "Snapshot and events": subscribe notifies at most once per microtask burst, however many tasks changed.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { AsyncExecutor } from '../index.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function progressLine(executor: AsyncExecutor): { lines: string[]; off: () => void } {
  const lines: string[] = [];
  const off = executor.subscribe(() => {
    const s = executor.getSnapshot();
    lines.push(`${s.succeeded}/${s.submitted}`);
  });
  return { lines, off };
}

it('map of timed tasks, unsubscribed in finally: the last line shows every item done', async () => {
  const executor = new AsyncExecutor({ maxWorkers: 2 });
  const { lines, off } = progressLine(executor);
  const run = (async () => {
    try {
      return await executor.map(
        async (ms: number) => {
          await sleep(ms);
          return ms;
        },
        [10, 20, 30, 40],
      );
    } finally {
      off();
    }
  })();
  await vi.advanceTimersByTimeAsync(200);
  await run;
  expect(lines.at(-1)).toBe('4/4');
});

it('onIdle, then unsubscribe: the last line shows every task done', async () => {
  const executor = new AsyncExecutor({ maxWorkers: 2 });
  const { lines, off } = progressLine(executor);
  for (const ms of [10, 20, 30]) executor.submit(() => sleep(ms));
  const idle = executor.onIdle().then(off);
  await vi.advanceTimersByTimeAsync(200);
  await idle;
  expect(lines.at(-1)).toBe('3/3');
});

it('a map whose items all finish within one tick (cache hits at a few await depths): the listener is called at least once before the await resumes', async () => {
  const executor = new AsyncExecutor({ maxWorkers: Number.POSITIVE_INFINITY });
  const { lines, off } = progressLine(executor);
  await executor.map(
    async (x: number) => {
      for (let k = 0; k < x; k++) await Promise.resolve();
      return x;
    },
    [0, 1, 2, 3, 4, 5],
  );
  off();
  expect(lines).not.toEqual([]); // it was subscribed through the whole map
  expect(lines.at(-1)).toBe('6/6');
});
