/**
 * The gates a task passes in turn (a map's `maxConcurrency`, a semaphore permit, a worker slot,
 * rate-limit tokens) under pause, resize and cancellation, with semaphores shared between
 * executors (SPEC invariants 1 and 2; "pause(): a task waiting for a token or a permit counts as
 * queued"; "equal priorities start in submit order"). Each case is a schedule that once broke.
 */
import { describe, expect, it, vi } from 'vitest';
import { AsyncExecutor, RateLimiter, Semaphore } from '../index.js';
import { sleep, useFakeTimers } from './test-utils.js';

useFakeTimers({ now: 0 });

/** Counts holders of a semaphore-guarded section and remembers the most at once. */
function holders() {
  const h = {
    now: 0,
    peak: 0,
    async hold(ms: number): Promise<void> {
      h.now++;
      h.peak = Math.max(h.peak, h.now);
      try {
        await sleep(ms);
      } finally {
        h.now--;
      }
    },
  };
  return h;
}

/** A task of another executor that needs a permit of `semaphore`; `startedAt` is when it ran (−1: not yet). */
function startTime(semaphore: Semaphore): { startedAt: number } {
  const seen = { startedAt: -1 };
  new AsyncExecutor({ maxWorkers: 1 }).submit(
    () => {
      seen.startedAt = Date.now();
    },
    { semaphore },
  );
  return seen;
}

/** A rate limiter of one start per `interval` whose token is taken: the next start waits `interval`. */
function spentLimiter(interval: number): RateLimiter {
  const limiter = new RateLimiter({ limit: 1, interval });
  limiter.tryAcquire();
  return limiter;
}

/** Two tasks of another executor hold both permits of `semaphore` until 10 and 20 ms. */
function holdBoth(semaphore: Semaphore): void {
  const other = new AsyncExecutor({ maxWorkers: 2 });
  other.submit(() => sleep(10), { semaphore });
  other.submit(() => sleep(20), { semaphore });
}

describe('start order', () => {
  it('permits granted while every worker is busy are used in the order granted', async () => {
    const semaphore = new Semaphore(2);
    holdBoth(semaphore);
    const x = new AsyncExecutor({ maxWorkers: 1 });
    const starts: string[] = [];
    x.submit(() => void starts.push('H1'), { semaphore });
    x.submit(() => void starts.push('H2'), { semaphore });
    x.submit(() => sleep(50)); // x's only worker
    await vi.advanceTimersByTimeAsync(200);
    expect(starts).toEqual(['H1', 'H2']);
  });

  it('pause() and resume() keep submit order between a task holding a permit and one waiting for it', async () => {
    const semaphore = new Semaphore(1);
    new AsyncExecutor({ maxWorkers: 1 }).submit(() => sleep(10), { semaphore });
    const x = new AsyncExecutor({ maxWorkers: 2 });
    const starts: string[] = [];
    x.submit(() => void starts.push('A'), { semaphore });
    x.submit(() => void starts.push('B'), { semaphore });
    x.submit(() => sleep(20)); // both workers busy
    x.submit(() => sleep(20));
    await vi.advanceTimersByTimeAsync(11); // A got the permit at 10, with no worker free
    x.pause();
    x.resume();
    await vi.advanceTimersByTimeAsync(100);
    expect(starts).toEqual(['A', 'B']);
  });

  it('tasks waiting for a rate-limit token when paused start in submit order after resume', async () => {
    const x = new AsyncExecutor({ maxWorkers: 3, rateLimit: { limit: 1, interval: 100 } });
    const starts: string[] = [];
    for (const name of ['A', 'B', 'C']) x.submit(() => void starts.push(name));
    await vi.advanceTimersByTimeAsync(10);
    x.pause();
    await vi.advanceTimersByTimeAsync(300); // tokens come due while paused
    x.resume();
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts).toEqual(['A', 'B', 'C']);
  });
});

describe('a paused executor holds nothing another executor waits for', () => {
  it('not the permit of a task that waits for a rate-limit token', async () => {
    const semaphore = new Semaphore(1);
    const x = new AsyncExecutor({ maxWorkers: 2, rateLimit: { limit: 1, interval: 1000 } });
    x.submit(() => sleep(5)); // takes the only token
    const t = x.submit(() => 't', { semaphore }); // permit, worker, then waits for a token
    await vi.advanceTimersByTimeAsync(1);
    x.pause();
    const other = startTime(semaphore);
    await vi.advanceTimersByTimeAsync(10);
    expect(other.startedAt).toBe(1);
    x.resume();
    await vi.advanceTimersByTimeAsync(3000);
    expect(t.state).toBe('succeeded');
    expect([semaphore.available, semaphore.waiting]).toEqual([1, 0]);
  });

  it('not a permit waited for by a retry whose timed-out attempt still runs', async () => {
    const semaphore = new Semaphore(2);
    new AsyncExecutor({ maxWorkers: 1 }).submit(() => sleep(50), { semaphore }); // one permit until 50
    const x = new AsyncExecutor({ maxWorkers: 3 });
    let calls = 0;
    x.submit(
      async () => {
        calls++;
        if (calls === 1) await sleep(30); // ignores its timeout's signal until 30
      },
      { semaphore, timeout: 10, retries: 1, retryDelay: 1, jitter: 'none' },
    );
    await vi.advanceTimersByTimeAsync(12); // the retry waits for a permit
    x.pause();
    await vi.advanceTimersByTimeAsync(20); // 32: the first attempt has ended and given its permit back
    const other = startTime(semaphore);
    await vi.advanceTimersByTimeAsync(10);
    expect(other.startedAt).toBe(32);
    x.resume();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(2);
  });

  it('not the permit of a map item that was granted it while the map was at its limit', async () => {
    const semaphore = new Semaphore(2);
    new AsyncExecutor({ maxWorkers: 2 }).submit(() => sleep(1), { semaphore });
    new AsyncExecutor({ maxWorkers: 2 }).submit(() => sleep(2), { semaphore });
    const x = new AsyncExecutor({ maxWorkers: 4 });
    const started: number[] = [];
    x.onEvent((e) => {
      if (e.type === 'started') started.push(e.taskId);
      if (e.type === 'succeeded' && e.taskId === started[0]) x.pause(); // inside the settling of item 0
    });
    const p = x.map((i: number) => sleep(10).then(() => i), [0, 1], { semaphore, maxConcurrency: 1 });
    await vi.advanceTimersByTimeAsync(12);
    expect(x.getSnapshot()).toMatchObject({ paused: true, queued: 1 });
    expect(semaphore.available).toBe(2);
    x.resume();
    await vi.advanceTimersByTimeAsync(100);
    expect(await p).toEqual([0, 1]);
  });
});

describe('a permit granted while a task started at submit holds the only worker', () => {
  it('is used once that task ends: nothing stalls', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire(); // held outside
    const executor = new AsyncExecutor({ maxWorkers: 1 });
    const a = executor.submit(() => 'a', { semaphore }); // waits for the permit
    executor.submit(() => {
      semaphore.release(); // the permit goes to a while this synchronous task holds the only worker
      return 'b';
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.state).toBe('succeeded');
    expect(executor.getSnapshot()).toMatchObject({ queued: 0, running: 0, succeeded: 2 });
    expect(semaphore.available).toBe(1);
  });
});

describe('a shrinking resize()', () => {
  it('keeps a task’s place in a shared semaphore’s queue (it holds no slot to give back)', async () => {
    const semaphore = new Semaphore(1);
    new AsyncExecutor({ maxWorkers: 1 }).submit(() => sleep(10), { semaphore }); // the permit until 10
    const x = new AsyncExecutor({ maxWorkers: 3 });
    const starts: string[] = [];
    x.submit(() => sleep(100));
    x.submit(() => sleep(100));
    x.submit(() => void starts.push('x'), { semaphore }); // first in line for the permit
    new AsyncExecutor({ maxWorkers: 1 }).submit(() => void starts.push('y'), { semaphore }); // second
    await vi.advanceTimersByTimeAsync(1);
    x.resize(1);
    expect(semaphore.waiting).toBe(2);
    await vi.advanceTimersByTimeAsync(300);
    expect(starts).toEqual(['x', 'y']);
  });

  it('keeps equal priorities in submit order: the permits it frees do not go to a later task', async () => {
    const semaphore = new Semaphore(2);
    const executor = new AsyncExecutor({ maxWorkers: 3, rateLimit: { limit: 1, interval: 10 } });
    const started: string[] = [];
    executor.submit(() => 'takes the only token');
    for (const name of ['a', 'b', 'c']) executor.submit(() => void started.push(name), { semaphore });
    // a and b hold a permit and a worker, waiting for a token; c waits for a permit
    executor.resize(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('hands back only slots: a permit stays with its task, so no other executor runs from inside it', async () => {
    const semaphore = new Semaphore(1);
    const x = new AsyncExecutor({ maxWorkers: 3, rateLimit: { limit: 1, interval: 10 } });
    const calls: string[] = [];
    x.submit(() => sleep(5)); // the token, and a worker for 5 ms
    x.submit(() => void calls.push('a'), { semaphore }); // the permit and a worker, waiting for a token
    x.submit(() => void calls.push('b')); // the last worker, waiting for a token
    let otherRanAt = -1;
    new AsyncExecutor({ maxWorkers: 1 }).submit(
      () => {
        otherRanAt = Date.now();
        x.pause();
      },
      { semaphore },
    ); // waits for the permit
    x.resize(1); // b, then a, give their workers back; a keeps its permit
    expect(otherRanAt).toBe(-1);
    expect(x.getSnapshot()).toMatchObject({ queued: 2, running: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    // a ran first (it held the permit), then the other executor's task, which paused x before b could start
    expect(calls).toEqual(['a']);
    expect(otherRanAt).toBeGreaterThanOrEqual(10);
    expect(x.getSnapshot()).toMatchObject({ paused: true, queued: 1, running: 0 });
    expect(x.getSnapshot().workers.filter((w) => w.taskId !== undefined)).toEqual([]);
    x.resume();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual(['a', 'b']);
    expect(x.getSnapshot()).toMatchObject({ queued: 0, running: 0, succeeded: 3 });
    expect([semaphore.available, semaphore.waiting]).toEqual([1, 0]);
  });
});

describe('code a release wakes sees every task where it is', () => {
  it('cancelAll() run by a permit that pause() gives back cancels the task that gave it', async () => {
    const semaphore = new Semaphore(1);
    const x = new AsyncExecutor({ maxWorkers: 2, rateLimit: { limit: 1, interval: 1000 } });
    x.submit(() => sleep(5000)); // the only token
    const ran: string[] = [];
    const t = x.submit(() => void ran.push('t'), { semaphore }); // permit and worker, waiting for a token
    new AsyncExecutor({ maxWorkers: 1 }).submit(() => x.cancelAll(), { semaphore });
    await vi.advanceTimersByTimeAsync(1);
    x.pause(); // t gives its permit back: the other task runs at once and cancels everything of x
    expect(t.state).toBe('cancelled');
    x.resume();
    await vi.advanceTimersByTimeAsync(3000);
    expect(ran).toEqual([]);
  });

  it('shutdown({ cancelFutures }) run that way too: the task never runs', async () => {
    const semaphore = new Semaphore(1);
    const x = new AsyncExecutor({ maxWorkers: 2, rateLimit: { limit: 1, interval: 1000 } });
    x.submit(() => sleep(10));
    const ran: string[] = [];
    const t = x.submit(() => void ran.push('t'), { semaphore });
    new AsyncExecutor({ maxWorkers: 1 }).submit(() => void x.shutdown({ cancelFutures: true, wait: false }), {
      semaphore,
    });
    await vi.advanceTimersByTimeAsync(1);
    x.pause();
    x.resume();
    await vi.advanceTimersByTimeAsync(3000);
    expect(ran).toEqual([]);
    expect(t.state).toBe('cancelled');
  });

  it('a task that a finishing task’s permit lets start starts after that one has settled', async () => {
    const semaphore = new Semaphore(1);
    const x = new AsyncExecutor({ maxWorkers: 2 });
    const log: string[] = [];
    x.onEvent((e) => {
      const s = x.getSnapshot();
      log.push(`${e.type} ${e.taskId} ${s.running}`);
      expect(s.running).toBeLessThanOrEqual(2);
    });
    const a = x.submit(() => sleep(10), { semaphore });
    const b = x.submit(() => sleep(10), { semaphore }); // a worker is free: waits for the permit
    x.submit(() => sleep(100)); // takes the second worker
    await vi.advanceTimersByTimeAsync(50);
    expect(log.indexOf(`succeeded ${a.id} 1`)).toBeGreaterThan(-1);
    expect(log.indexOf(`succeeded ${a.id} 1`)).toBeLessThan(log.indexOf(`started ${b.id} 2`));
  });
});

describe('cancelling a task that waits for a token', () => {
  it('ends it before the task its permit lets start begins', async () => {
    const semaphore = new Semaphore(1);
    const limiter = spentLimiter(1000);
    const x = new AsyncExecutor({ maxWorkers: 2 });
    const log: string[] = [];
    x.onEvent((e) => log.push(`${e.type} ${e.taskId}`));
    const t = x.submit(() => 't', { semaphore, rateLimit: limiter }); // permit and worker, waiting for a token
    const u = x.submit(() => 'u', { semaphore }); // a worker is free: waits for the permit
    t.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(u.state).toBe('succeeded');
    expect(log.indexOf(`cancelled ${t.id}`)).toBeLessThan(log.indexOf(`started ${u.id}`));
  });
});

describe('pause() and resume() from code it wakes', () => {
  it('a resume() run by what pause() releases starts the tasks pause() sent back to the queue', async () => {
    const semaphore = new Semaphore(1);
    const limiter = spentLimiter(100);
    const x = new AsyncExecutor({ maxWorkers: 1 });
    const a = x.submit(() => 'a', { semaphore, rateLimit: limiter }); // permit and worker, waiting for a token
    const other = new AsyncExecutor({ maxWorkers: 1 });
    other.submit(() => x.resume(), { semaphore }); // waits for the permit a holds
    x.pause(); // a gives its permit back: the other task runs at once and resumes x
    expect(x.getSnapshot().paused).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(a.state).toBe('succeeded');
    expect([semaphore.available, semaphore.waiting]).toEqual([1, 0]);
  });
});

/**
 * At 25 ms: x (one worker, busy until 100) has two queued tasks that each got a permit of a
 * `Semaphore(2)` while its worker was busy; `section` counts holders of the guarded section.
 */
async function twoQueuedHolders() {
  const semaphore = new Semaphore(2);
  holdBoth(semaphore);
  const section = holders();
  const x = new AsyncExecutor({ maxWorkers: 1 });
  x.submit(() => section.hold(30), { semaphore });
  const h2 = x.submit(() => section.hold(30), { semaphore });
  x.submit(() => sleep(100));
  await vi.advanceTimersByTimeAsync(25);
  return { semaphore, section, x, h2 };
}

describe('permits are never handed out twice', () => {
  it('when what pause() releases starts a task that cancels another queued holder', async () => {
    const { semaphore, section, x, h2 } = await twoQueuedHolders();
    const z = new AsyncExecutor({ maxWorkers: 5 });
    z.submit(
      () => {
        h2.cancel();
        return section.hold(50);
      },
      { semaphore },
    );
    await vi.advanceTimersByTimeAsync(1);
    x.pause();
    for (let i = 0; i < 3; i++) z.submit(() => section.hold(50), { semaphore });
    await vi.advanceTimersByTimeAsync(5);
    expect(section.peak).toBe(2);
    x.resume();
    await vi.advanceTimersByTimeAsync(500);
    expect([semaphore.available, semaphore.waiting]).toEqual([2, 0]);
  });

  it('when what pause() releases starts a task that resizes and resumes the paused executor', async () => {
    const { semaphore, section, x } = await twoQueuedHolders();
    new AsyncExecutor({ maxWorkers: 1 }).submit(
      () => {
        x.resize(3);
        x.resume();
        return section.hold(30);
      },
      { semaphore },
    );
    await vi.advanceTimersByTimeAsync(1);
    x.pause();
    await vi.advanceTimersByTimeAsync(300);
    expect(section.peak).toBe(2);
    expect([semaphore.available, semaphore.waiting]).toEqual([2, 0]);
  });
});

describe('maps, cancellation and resize', () => {
  it('cancelAll() and shutdown({ cancelFutures }) while paused reach a map item parked at the map’s limit', async () => {
    for (const stop of ['cancelAll', 'shutdown'] as const) {
      const semaphore = new Semaphore(2);
      holdBoth(semaphore);
      const x = new AsyncExecutor({ maxWorkers: 4 });
      const ran: number[] = [];
      const work = (i: number) => {
        ran.push(i);
        return sleep(30).then(() => i);
      };
      const p = x.map(work, [0, 1], { semaphore, maxConcurrency: 1, returnExceptions: true });
      await vi.advanceTimersByTimeAsync(25); // item 0 runs from 10; item 1 got a permit at 20 with the map full
      x.pause();
      let stopped = false;
      if (stop === 'cancelAll') x.cancelAll();
      else void x.shutdown({ cancelFutures: true }).then(() => (stopped = true));
      expect(x.getSnapshot()).toMatchObject({ queued: 0, running: 0, cancelled: 2 });
      x.resume();
      await vi.advanceTimersByTimeAsync(200);
      expect(ran).toEqual([0]);
      expect((await p).map((r) => (r instanceof Error ? r.name : r))).toEqual(['CancelledError', 'CancelledError']);
      if (stop === 'shutdown') expect(stopped).toBe(true);
      expect([semaphore.available, semaphore.waiting]).toEqual([2, 0]);
    }
  });

  it('a map with maxConcurrency and a semaphore does not stall when a permit arrives while the map is full', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    setTimeout(() => semaphore.release(), 1);
    const x = new AsyncExecutor({ maxWorkers: 4 });
    async function* items() {
      yield 'A';
      yield 'B';
      await sleep(5);
      yield 'C';
    }
    const out: string[] = [];
    const run = (async () => {
      for await (const v of x.mapIter((s: string) => sleep(10).then(() => s), items(), {
        semaphore,
        maxConcurrency: 1,
        bufferSize: 3,
      }))
        out.push(v);
    })();
    await vi.advanceTimersByTimeAsync(1000);
    await run;
    expect(out).toEqual(['A', 'B', 'C']);
    expect(x.getSnapshot()).toMatchObject({ queued: 0, running: 0, succeeded: 3 });
  });

  it('a task cancelled while its failed attempt hands its permit on is not retried, and counts add up', async () => {
    const semaphore = new Semaphore(1);
    const x = new AsyncExecutor({ maxWorkers: 2 });
    let calls = 0;
    const a = x.submit(
      async () => {
        calls++;
        throw new Error('boom');
      },
      { semaphore, retries: 1, retryDelay: 0 },
    );
    x.submit(() => void a.cancel(), { semaphore }); // starts on a's permit and cancels a
    const states: string[] = [];
    a.addDoneCallback((f) => states.push(f.state));
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(1);
    expect(states).toEqual(['cancelled']);
    expect(x.getSnapshot()).toMatchObject({ running: 0, retrying: 0, succeeded: 1, cancelled: 1, failed: 0 });
    await expect(x.onIdle()).resolves.toBeUndefined();
  });

  it('shrinking the pool sends tasks waiting for a token back to the queue: never more running than maxWorkers', async () => {
    const x = new AsyncExecutor({ maxWorkers: 3, rateLimit: { limit: 1, interval: 100 } });
    let running = 0;
    let peakAfterResize = 0;
    let resized = false;
    const starts: number[] = [];
    for (let i = 0; i < 3; i++)
      x.submit(async () => {
        starts.push(i);
        running++;
        if (resized) peakAfterResize = Math.max(peakAfterResize, running);
        await sleep(500);
        running--;
      });
    await vi.advanceTimersByTimeAsync(10); // 0 runs; 1 and 2 hold workers waiting for tokens
    x.resize(1);
    resized = true;
    expect(x.getSnapshot().queued).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(peakAfterResize).toBe(1);
    expect(starts).toEqual([0, 1, 2]);
  });
});
