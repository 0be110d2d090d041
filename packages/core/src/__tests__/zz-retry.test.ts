import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { AsyncExecutor, HttpError, TimeoutError } from '../index.js';
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());
it('attempt times', async () => {
  const ex = new AsyncExecutor({ maxWorkers: 2 });
  const times: number[] = [];
  const t0 = Date.now();
  const f = ex.submit(() => { times.push(Date.now() - t0); throw new Error('x'); }, { retries: 3, retryDelay: 100, jitter: 'none' });
  const events: string[] = [];
  ex.onEvent((e) => events.push(e.type));
  f.catch(() => {});
  await vi.advanceTimersByTimeAsync(1000);
  expect(times).toEqual([0, 100, 300, 700]);
  expect(f.state).toBe('failed');
  expect(f.attempt).toBe(4);
  expect(vi.getTimerCount()).toBe(0);
});
it('timeout', async () => {
  const ex = new AsyncExecutor({ maxWorkers: 1 });
  const f = ex.submit(({ signal }) => new Promise((_, rej) => signal.addEventListener('abort', () => rej(signal.reason))), { timeout: 50, retries: 1, retryDelay: 10, jitter: 'none', name: 'user 7' });
  const p = f.result().catch((e) => e);
  await vi.advanceTimersByTimeAsync(200);
  const e = await p;
  expect(e).toBeInstanceOf(TimeoutError);
  expect(e.message).toBe('task "user 7" timed out after 50 ms (attempt 2 of 2)');
});
it('retry-after and rate', async () => {
  const ex = new AsyncExecutor({ maxWorkers: 4, rateLimit: { limit: 2, interval: 1000 } });
  const starts: number[] = [];
  const r = ex.map(async (i: number, ctx) => { starts.push(Date.now()); if (i === 0 && ctx.attempt === 1) throw new HttpError({ status: 429, statusText: 'x', url: 'u', retryAfterMs: 5000 }); return i; }, [0, 1, 2, 3, 4], { retries: 2, jitter: 'none' });
  await vi.advanceTimersByTimeAsync(10000);
  expect(await r).toEqual([0, 1, 2, 3, 4]);
  const t0 = starts[0]!;
  expect(starts.map((s) => s - t0)).toEqual([0, 0, 1000, 1000, 2000, 5000]);
  expect(ex.getSnapshot().rateLimit).toBeDefined();
});
