/**
 * Fake timers that fake setTimeout but not the clock (README: "The limiter's timers drive it whatever a test
 * fakes"): real time that passes between a wait's arming and the fake advance (a slow test step, a GC) must not
 * keep a waiter from being granted. (A rule that believed a running clock over a timer that fired early broke
 * this; a review's repro. The limiter assumes timers fire at most 2 ms early, TIMER_SLACK.)
 */
import { afterEach, expect, it, vi } from 'vitest';
import { RateLimiter } from '../index.js';

afterEach(() => vi.useRealTimers());

function spinReal(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // real time passes (a slow step of the test), fake time does not
  }
}

it('setTimeout-only fake timers: a waiter is granted after fake time passes, even if real time ran half the wait first', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const limiter = new RateLimiter({ limit: 1, interval: 100 });
  await limiter.acquire(); // the bucket's token
  let granted = false;
  void limiter.acquire().then(() => {
    granted = true;
  });
  spinReal(60); // real time: more than half of the 100 ms wait, less than all of it
  await vi.advanceTimersByTimeAsync(2_000); // 20 intervals of fake time
  expect(granted).toBe(true);
});

it('the same with a 10 ms interval and 6 ms of real time before the advance (a GC, a loaded machine)', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const limiter = new RateLimiter({ limit: 1, interval: 10 });
  let granted = 0;
  for (let i = 0; i < 3; i++)
    void limiter.acquire().then(() => {
      granted++;
    });
  await vi.advanceTimersByTimeAsync(0);
  expect(granted).toBe(1);
  spinReal(6);
  await vi.advanceTimersByTimeAsync(1_000); // 100 intervals of fake time, a moment of real time
  expect(granted).toBe(3);
});
