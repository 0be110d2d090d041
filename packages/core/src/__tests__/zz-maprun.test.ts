import { expect, it } from 'vitest';
import { AsyncExecutor, MapRun } from '../index.js';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
it('map run', async () => {
  const ex = new AsyncExecutor({ maxWorkers: 2 });
  const run = new MapRun(ex, async (x: number) => { await sleep(x); if (x === 7) throw new Error('7'); return x * 2; }, [20, 5, 7, 3], { returnExceptions: true });
  let n = 0;
  run.subscribe(() => n++);
  expect(run.getSnapshot().status).toBe('idle');
  await run.start();
  await Promise.resolve();
  const s = run.getSnapshot();
  expect(s.status).toBe('success');
  expect(s.results).toEqual([40, 10, undefined, 6]);
  expect(s.completed.map((c) => c.index)).toEqual([1, 2, 3, 0]);
  expect(s.progress).toMatchObject({ total: 4, done: 4, failed: 1 });
  expect(ex.subscriberCount).toBe(0);
  expect(n).toBeGreaterThan(0);
});
