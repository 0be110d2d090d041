import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../errors.js';
import { RateLimiter, type RateLimitOptions, toRateLimiter } from '../rate-limiter.js';
import { useFakeTimers } from './test-utils.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Call acquire() `n` times and record the clock at each admission, by call index. */
function acquireMany(limiter: RateLimiter, n: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) void limiter.acquire().then(() => (times[i] = Date.now()));
  return times;
}

useFakeTimers({ now: 0 });

describe('RateLimiter', () => {
  it('starts with a full bucket and tells when the next token comes', () => {
    const limiter = new RateLimiter({ limit: 3, interval: 1000 });
    expect([limiter.limit, limiter.interval, limiter.burst]).toEqual([3, 1000, 3]);
    expect(limiter.tokens).toBe(3);
    expect(limiter.nextTokenAt).toBeUndefined();
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true, true]);
    expect(limiter.tryAcquire()).toBe(false);
    expect(limiter.tokens).toBe(0);
    expect(limiter.nextTokenAt).toBe(1000);
    vi.setSystemTime(1000);
    expect(limiter.tokens).toBe(3);
  });

  it('admits limit 2 / interval 1000 at exactly 0, 0, 1000, 1000, 2000, 2000', async () => {
    const limiter = new RateLimiter({ limit: 2, interval: 1000 });
    const times = acquireMany(limiter, 6);
    await vi.advanceTimersByTimeAsync(999);
    expect(times).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([0, 0, 1000, 1000]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(times).toEqual([0, 0, 1000, 1000, 2000, 2000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a burst below limit spreads the starts out at the full rate (one token every interval / limit)', async () => {
    const limiter = new RateLimiter({ limit: 4, interval: 100, burst: 2 });
    const times = acquireMany(limiter, 7);
    await vi.runAllTimersAsync();
    // 2 at once, then a token every 25 ms; the 5th waits for the window (never more than 4 in 100 ms),
    // by which time the bucket holds 2 again
    expect(times).toEqual([0, 0, 25, 50, 100, 100, 125]);
  });

  it('a waiter arriving when a token falls due is served then, not a millisecond later', async () => {
    // Found by the reference-model property: re-arming the timer for "now" pushed it back (0 ms → 1 ms).
    const times: number[] = [];
    const limiter = new RateLimiter({ limit: 3, interval: 22, burst: 1 }); // a token every 7⅓ ms
    setTimeout(() => void limiter.acquire().then(() => (times[2] = Date.now())), 8); // armed before the limiter's timer
    void limiter.acquire().then(() => (times[0] = Date.now()));
    void limiter.acquire().then(() => (times[1] = Date.now()));
    await vi.runAllTimersAsync();
    expect(times).toEqual([0, 8, 15]);
  });

  it('the sliding window stops a second burst right after a refill', async () => {
    const limiter = new RateLimiter({ limit: 2, interval: 1000 });
    vi.setSystemTime(900);
    expect([limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true]);
    vi.setSystemTime(1000); // the bucket refilled, but 2 starts lie in (0, 1000]
    expect(limiter.tokens).toBe(0);
    expect(limiter.nextTokenAt).toBe(1900);
    expect(limiter.tryAcquire()).toBe(false);
    const times = acquireMany(limiter, 3);
    await vi.runAllTimersAsync();
    expect(times).toEqual([1900, 1900, 2900]);
  });

  it('serves waiters in FIFO order, from acquire and enqueue alike', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 10 });
    const order: string[] = [];
    const log = (name: string) => () => order.push(`${name}@${Date.now()}`);
    void limiter.acquire().then(log('a'));
    void limiter.acquire().then(log('b'));
    limiter.enqueue(log('c'));
    void limiter.acquire().then(log('d'));
    expect(limiter.waiting).toBe(3);
    await vi.advanceTimersByTimeAsync(30);
    expect(order).toEqual(['a@0', 'b@10', 'c@20', 'd@30']);
  });

  it('an aborted waiter leaves the queue and rejects; the next is served on time', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 100 });
    limiter.tryAcquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const times = acquireMany(limiter, 1);
    const reason = new Error('stop');
    await vi.advanceTimersByTimeAsync(50);
    controller.abort(reason);
    expect(limiter.waiting).toBe(1);
    await expect(aborted).rejects.toMatchObject({
      name: 'CancelledError',
      message: 'rate limiter acquire aborted',
      cause: reason,
    });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(50);
    expect(times).toEqual([100]);
  });

  it('leaves no timer when nobody waits (served or aborted)', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 1000 });
    limiter.tryAcquire();
    expect(vi.getTimerCount()).toBe(0);
    const controller = new AbortController();
    const p = limiter.acquire(controller.signal).catch((e: unknown) => e);
    const waiter = limiter.enqueue(() => {});
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    expect(await p).toBeInstanceOf(CancelledError);
    expect(vi.getTimerCount()).toBe(1); // someone still waits
    waiter.cancel();
    expect(vi.getTimerCount()).toBe(0);
    acquireMany(limiter, 3);
    expect(vi.getTimerCount()).toBe(1); // one timer for the head, not one per waiter
    await vi.advanceTimersByTimeAsync(3000);
    expect(limiter.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('tryAcquire never overtakes queued waiters, even when tokens fell due before the timer fired', async () => {
    const limiter = new RateLimiter({ limit: 2, interval: 100 });
    expect([limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true]);
    const times = acquireMany(limiter, 3);
    vi.setSystemTime(150); // the clock moved on, the timer has not fired yet (a busy event loop)
    expect(limiter.tokens).toBe(2);
    expect(limiter.tryAcquire()).toBe(false);
    await vi.advanceTimersByTimeAsync(100); // the timer, due at fake-timer time 100, fires at Date.now() 250
    expect(times).toEqual([250, 250]);
    expect(limiter.waiting).toBe(1);
  });

  it('enqueue grants synchronously only when a token is free and nobody waits', () => {
    const limiter = new RateLimiter({ limit: 1, interval: 100 });
    const first = vi.fn();
    const second = vi.fn();
    limiter.enqueue(first).cancel(); // granted at once; cancel is then a no-op
    expect(first).toHaveBeenCalledOnce();
    expect(limiter.tokens).toBe(0);
    limiter.enqueue(second);
    expect(second).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(second).toHaveBeenCalledOnce();
  });

  it('rejects an already-aborted signal at once without taking a token', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 100 });
    const fn = vi.fn();
    await expect(limiter.run(fn, AbortSignal.abort('why'))).rejects.toMatchObject({
      name: 'CancelledError',
      cause: 'why',
    });
    expect(fn).not.toHaveBeenCalled();
    expect(limiter.tokens).toBe(1);
    await expect(limiter.acquire({} as AbortSignal)).rejects.toThrow(TypeError);
  });

  it('run waits for a token then returns what fn returns', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 100 });
    expect(await limiter.run(() => 'first')).toBe('first');
    const second = limiter.run(async () => Date.now());
    await vi.advanceTimersByTimeAsync(100);
    expect(await second).toBe(100);
    const third = limiter.run(() => Promise.reject(new Error('boom'))).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await third).toEqual(new Error('boom'));
  });

  it('waits past the 2³¹ ms setTimeout ceiling', async () => {
    const limiter = new RateLimiter({ limit: 1, interval: 3e9 });
    limiter.tryAcquire();
    const times = acquireMany(limiter, 1);
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(times).toEqual([]);
    await vi.advanceTimersByTimeAsync(3e9 - 2 ** 31);
    expect(times).toEqual([3e9]);
  });

  it.each<[unknown, ErrorConstructor, string]>([
    [{ limit: 0, interval: 1000 }, RangeError, 'limit must be an integer ≥ 1, got 0'],
    [{ limit: 2.5, interval: 1000 }, RangeError, 'limit must be an integer ≥ 1, got 2.5'],
    [{ limit: '5', interval: 1000 }, TypeError, 'limit must be an integer ≥ 1, got "5"'],
    [{ interval: 1000 }, TypeError, 'limit must be an integer ≥ 1, got undefined'],
    [{ limit: 1, interval: -5 }, RangeError, 'interval must be a finite number > 0, got -5'],
    [{ limit: 1, interval: 0 }, RangeError, 'interval must be a finite number > 0, got 0'],
    [{ limit: 1, interval: Number.NaN }, RangeError, 'interval must be a finite number > 0, got NaN'],
    [
      { limit: 1, interval: Number.POSITIVE_INFINITY },
      RangeError,
      'interval must be a finite number > 0, got Infinity',
    ],
    [{ limit: 1, interval: 10, burst: 1.5 }, RangeError, 'burst must be an integer ≥ 1, got 1.5'],
    [{ limit: 1, interval: 10, burst: null }, TypeError, 'burst must be an integer ≥ 1, got null'],
    [{ limit: 1, interval: 10, bursts: 2 }, TypeError, 'options has an unknown option "bursts"'],
    [null, TypeError, 'options must be an options object, got null'],
    [5, TypeError, 'options must be an options object, got 5'],
  ])('rejects options %o', (options, type, message) => {
    expect(() => new RateLimiter(options as RateLimitOptions)).toThrow(type);
    expect(() => new RateLimiter(options as RateLimitOptions)).toThrow(message);
  });

  it('toRateLimiter passes an instance through and validates options under the given name', () => {
    const shared = new RateLimiter({ limit: 1, interval: 10 });
    expect(toRateLimiter(shared, 'rateLimit')).toBe(shared);
    const made = toRateLimiter({ limit: 5, interval: 100, burst: 2 }, 'rateLimit');
    expect([made.limit, made.interval, made.burst]).toEqual([5, 100, 2]);
    const make = (options: unknown) => () => toRateLimiter(options as RateLimitOptions, 'rateLimit');
    expect(make({ limit: 0, interval: 1 })).toThrow(new RangeError('rateLimit.limit must be an integer ≥ 1, got 0'));
    expect(make({ limit: 1, interval: -5 })).toThrow(
      new RangeError('rateLimit.interval must be a finite number > 0, got -5'),
    );
    expect(make(null)).toThrow(new TypeError('rateLimit must be an options object, got null'));
    expect(make({ limit: 1, interval: 1, x: 1 })).toThrow(new TypeError('rateLimit has an unknown option "x"'));
  });
});

const config = fc.record({
  limit: fc.integer({ min: 1, max: 4 }),
  interval: fc.integer({ min: 1, max: 400 }),
  burst: fc.integer({ min: 1, max: 6 }),
});

describe('RateLimiter properties', () => {
  it('never admits more than burst + ⌊t·limit/interval⌋ by t, nor more than limit in any interval', async () => {
    const request = fc.record({
      at: fc.integer({ min: 0, max: 1500 }),
      duration: fc.integer({ min: 0, max: 300 }),
      abortAt: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }),
    });
    const interval = fc.oneof(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0.5, max: 300, noNaN: true }));
    await fc.assert(
      fc.asyncProperty(config, interval, fc.array(request, { maxLength: 20 }), async (options, interval, requests) => {
        vi.setSystemTime(0);
        const limiter = new RateLimiter({ ...options, interval });
        const admitted: number[] = [];
        const outcome: ('admitted' | 'aborted')[] = [];
        requests.forEach(({ at, duration, abortAt }, i) => {
          setTimeout(() => {
            const controller = new AbortController();
            if (abortAt !== undefined) setTimeout(() => controller.abort(), abortAt);
            const task = () => {
              expect(controller.signal.aborted).toBe(false); // never admitted after its abort
              admitted.push(Date.now());
              return sleep(duration);
            };
            limiter.run(task, controller.signal).then(
              () => (outcome[i] = 'admitted'),
              (error: unknown) => {
                expect(error).toBeInstanceOf(CancelledError);
                outcome[i] = 'aborted';
              },
            );
          }, at);
        });
        await vi.runAllTimersAsync();
        expect(vi.getTimerCount()).toBe(0);
        expect(limiter.waiting).toBe(0);
        expect(outcome.filter((o) => o !== undefined)).toHaveLength(requests.length);
        for (const [i, r] of requests.entries()) if (r.abortAt === undefined) expect(outcome[i]).toBe('admitted');
        expect(admitted.length).toBe(outcome.filter((o) => o === 'admitted').length);
        admitted.forEach((t, i) => {
          const byT = admitted.filter((a) => a <= t).length;
          expect(byT).toBeLessThanOrEqual(options.burst + Math.floor((t * options.limit) / interval));
          expect(byT).toBeGreaterThan(i); // admissions are in time order
          const later = admitted[i + options.limit];
          if (later !== undefined) expect(later - t).toBeGreaterThanOrEqual(interval);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('admits each waiter at the earliest moment both rules allow (reference model)', async () => {
    const arrivals = fc.array(fc.integer({ min: 0, max: 1200 }), { maxLength: 15 }).map((a) => a.sort((x, y) => x - y));
    await fc.assert(
      fc.asyncProperty(config, arrivals, async ({ limit, interval, burst }, at) => {
        vi.setSystemTime(0);
        const limiter = new RateLimiter({ limit, interval, burst });
        const times: number[] = [];
        for (const [i, a] of at.entries())
          setTimeout(() => void limiter.acquire().then(() => (times[i] = Date.now())), a);
        await vi.runAllTimersAsync();
        // Step the clock one ms at a time: refill (token k arrives at k·interval/limit), then admit while both rules allow.
        const expected: number[] = [];
        let bucket = burst;
        let arrived = 0;
        for (let t = 0; expected.length < at.length; t++) {
          const now = Math.floor((t * limit) / interval);
          bucket = Math.min(burst, bucket + now - arrived);
          arrived = now;
          while (
            expected.length < at.length &&
            (at[expected.length] as number) <= t &&
            bucket > 0 &&
            expected.filter((e) => e > t - interval).length < limit
          ) {
            bucket--;
            expected.push(t);
          }
        }
        expect(times).toEqual(expected);
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('RateLimiter and clocks that do not move with the timers', () => {
  /** Start `n` acquires and record Date.now() − t0 at each admission, by call index. */
  function acquireTimes(limiter: RateLimiter, n: number, t0: number): number[] {
    const times: number[] = [];
    for (let i = 0; i < n; i++) void limiter.acquire().then(() => (times[i] = Date.now() - t0));
    return times;
  }

  for (const toFake of [
    ['setTimeout', 'clearTimeout'],
    ['setTimeout', 'clearTimeout', 'performance'],
  ] as const) {
    it(`faking ${toFake.join(', ')} (not Date): the timers drive it, at the rate, and runAllTimers ends`, async () => {
      vi.useRealTimers();
      vi.useFakeTimers({ toFake: [...toFake] });
      const limiter = new RateLimiter({ limit: 5, interval: 1000 });
      const started: number[] = [];
      for (let i = 0; i < 20; i++) void limiter.acquire().then(() => started.push(i));
      // Real time that passes counts too (a loaded machine can add a few ms): 900, not 999.
      await vi.advanceTimersByTimeAsync(900);
      expect(started).toHaveLength(5);
      // Each window waits 2 ms more than the rate (the timer's proof allows for timers firing early),
      // the first 4: windows at 1004, 2006, 3008.
      await vi.advanceTimersByTimeAsync(2110);
      expect(started).toHaveLength(20);
      const more = acquireTimes(limiter, 6, 0);
      await vi.runAllTimersAsync(); // rejects after 10,000 timers if the limiter's timer re-arms for ever
      expect(more.filter((t) => t !== undefined)).toHaveLength(6);
      expect(vi.getTimerCount()).toBe(0);
    });
  }

  it('a clock standing still while fake timers run: 1 ms waits get through too', async () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const frozen = [vi.spyOn(Date, 'now').mockReturnValue(5_000), vi.spyOn(performance, 'now').mockReturnValue(1_000)];
    try {
      const limiter = new RateLimiter({ limit: 10, interval: 10, burst: 1 }); // a token every 1 ms
      let started = 0;
      for (let i = 0; i < 5; i++) void limiter.acquire().then(() => started++);
      // each wait proves itself by a timer with 2 ms of slack (timers can fire early): 3 ms a wait
      await vi.advanceTimersByTimeAsync(11);
      expect(started).toBe(4);
      await vi.advanceTimersByTimeAsync(3);
      expect(started).toBe(5);
    } finally {
      for (const spy of frozen) spy.mockRestore();
    }
  });

  it('a frozen Date with real timers (faking Date alone) still lets waiters through, at the rate', async () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['Date'] });
    // Each admission stamped with the real clock as it is made (a start recorded later, in a promise
    // callback, can be held up on a loaded machine and seem closer to the next one than it was).
    const times: number[] = [];
    const limiter = new (class extends RateLimiter {
      protected override admitted(): void {
        times.push(performance.now());
      }
    })({ limit: 2, interval: 20 });
    await Promise.all(Array.from({ length: 6 }, () => limiter.acquire()));
    for (let i = 2; i < 6; i++) expect((times[i] as number) - (times[i - 2] as number)).toBeGreaterThanOrEqual(20);
  });

  it('Date set without fake timers (vi.setSystemTime alone) freezes it: waiters still get through', async () => {
    vi.useRealTimers();
    vi.setSystemTime(new Date('2024-01-01T00:00:00Z'));
    const limiter = new RateLimiter({ limit: 2, interval: 20 });
    const all = Promise.all(Array.from({ length: 6 }, () => limiter.acquire()));
    expect(await Promise.race([all.then(() => 'all started'), sleep(2000).then(() => 'stalled')])).toBe('all started');
  });

  it('faking Date but not performance: within a few ms of the rate', async () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const times = acquireTimes(new RateLimiter({ limit: 2, interval: 100 }), 8, Date.now());
    await vi.advanceTimersByTimeAsync(400);
    // the clock follows Date only once the two disagree by 5 ms (real time counts till then), and
    // timers fire on whole ms
    const late = times.map((t, i) => t - Math.floor(i / 2) * 100);
    expect(late[0]).toBe(0);
    for (const l of late) expect(Math.abs(l)).toBeLessThanOrEqual(6);
    const fast = new RateLimiter({ limit: 1, interval: 2 });
    let n = 0;
    for (let i = 0; i < 20; i++) void fast.acquire().then(() => n++);
    await vi.advanceTimersByTimeAsync(200);
    expect(n).toBe(20);
  });
});

describe('RateLimiter on a real clock', () => {
  it('a timer firing just after it was armed (the next loop turn after a whole-ms tick) never admits early', async () => {
    vi.useRealTimers();
    const hr = () => Number(process.hrtime.bigint()) / 1e6; // libuv's loop time is this, in whole ms
    const interval = 5;
    let busy = true; // a busy app: the event loop keeps turning, so a due timer runs right after the tick
    const spin = () => {
      if (busy) setImmediate(spin);
    };
    spin();
    const gaps: number[] = [];
    try {
      for (let trial = 0; trial < 50; trial++) {
        const times: number[] = [];
        const limiter = new (class extends RateLimiter {
          protected override admitted(): void {
            times.push(performance.now());
          }
        })({ limit: 1, interval });
        limiter.tryAcquire();
        // a request in the last ms of the window (a 1 ms wait), just before a libuv tick
        const from = (times[0] as number) + interval - 0.9 + Math.random() * 0.5;
        while (performance.now() < from) {}
        while (hr() % 1 < 0.93) {}
        await limiter.acquire();
        gaps.push((times[1] as number) - (times[0] as number));
      }
    } finally {
      busy = false;
    }
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval);
  });

  it('after setTimeout-only fake timers drove it far ahead, the real clock still refills it (tryAcquire)', async () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const limiter = new RateLimiter({ limit: 1, interval: 100 });
    let granted = 0;
    for (let i = 0; i < 300; i++) void limiter.acquire().then(() => granted++);
    await vi.runAllTimersAsync(); // 30 s of fake time in a moment of real time
    expect(granted).toBe(300);
    vi.useRealTimers();
    let taken = 0;
    for (const end = Date.now() + 600; Date.now() < end; await sleep(10)) if (limiter.tryAcquire()) taken++;
    expect(taken).toBeGreaterThanOrEqual(4); // 600 ms at 1 per 100 ms (the proof kept as a fixed floor: 0 for 30 s)
  }, 10_000);

  it('a limiter that lived through fake timers keeps its window when real timers come back', async () => {
    vi.useRealTimers();
    const limiter = new RateLimiter({ limit: 2, interval: 250 });
    vi.useFakeTimers(); // Date, timers and performance
    expect([limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true]);
    vi.useRealTimers();
    expect(limiter.tryAcquire()).toBe(false); // the window of those two starts is not over on any clock
  });

  it('faking Date but not performance: real time spent between calls does not make a start early', async () => {
    vi.useRealTimers();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const limiter = new RateLimiter({ limit: 1, interval: 1000 });
    expect(limiter.tryAcquire()).toBe(true);
    const until = performance.now() + 30; // real work (or a loaded machine) before the next call
    while (performance.now() < until) {}
    let started = false;
    void limiter.acquire().then(() => (started = true));
    await vi.advanceTimersByTimeAsync(990);
    expect(started).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(started).toBe(true);
  });
});

describe('RateLimiter and a clock that goes back', () => {
  it('a system clock set back an hour does not hold starts until it catches up; the rate still holds', async () => {
    const limiter = new RateLimiter({ limit: 2, interval: 1000 });
    const times: number[] = [];
    const start = () => void limiter.acquire().then(() => times.push(performance.now()));
    start();
    start();
    await vi.advanceTimersByTimeAsync(500);
    vi.setSystemTime(Date.now() - 3_600_000);
    for (let i = 0; i < 4; i++) start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(times).toHaveLength(6);
    // measured on a clock that did not move: never more than 2 starts in any 1,000 ms
    for (let i = 2; i < times.length; i++)
      expect((times[i] as number) - (times[i - 2] as number)).toBeGreaterThanOrEqual(1000);
  });
});
