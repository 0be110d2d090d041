import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from '../errors.js';
import { RateLimiter } from '../rate-limiter.js';
import { Semaphore } from '../semaphore.js';
import { type Waiter, WaiterList } from '../waiters.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Semaphore', () => {
  it('never runs more than `permits` at once under many concurrent runs', async () => {
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const results = Array.from({ length: 40 }, (_, i) =>
      sem.run(async () => {
        active++;
        peak = Math.max(peak, active);
        await sleep(1 + ((i * 7) % 13));
        active--;
        return i;
      }),
    );
    expect(sem.available).toBe(0);
    expect(sem.waiting).toBe(37);
    await vi.runAllTimersAsync();
    expect(await Promise.all(results)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(sem.available).toBe(3);
    expect(sem.waiting).toBe(0);
  });

  it('serves waiters in FIFO order and hands a released permit straight to the first', async () => {
    const sem = new Semaphore(1);
    expect(sem.tryAcquire()).toBe(true);
    const order: number[] = [];
    const waits = [0, 1, 2, 3].map((i) => sem.acquire().then(() => order.push(i)));
    expect(sem.waiting).toBe(4);
    for (let i = 0; i < 4; i++) {
      sem.release();
      expect(sem.available).toBe(0); // handed over, not put back in the pool
      expect(sem.tryAcquire()).toBe(false);
      await Promise.resolve();
      await Promise.resolve();
    }
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2, 3]);
    sem.release();
    expect(sem.available).toBe(1);
  });

  it('tryAcquire does not overtake queued waiters', async () => {
    const sem = new Semaphore(2);
    sem.tryAcquire();
    sem.tryAcquire();
    const p = sem.acquire();
    expect(sem.tryAcquire()).toBe(false);
    sem.release();
    await p;
    expect(sem.tryAcquire()).toBe(false);
    sem.release();
    expect(sem.tryAcquire()).toBe(true);
  });

  it('an aborted waiter leaves the queue, rejects with CancelledError, and the next waiter gets the permit', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const controller = new AbortController();
    const first = sem.acquire(controller.signal);
    const second = sem.acquire();
    expect(sem.waiting).toBe(2);
    expect(abortListeners(controller.signal)).toBe(1);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(sem.waiting).toBe(1);
    const error: unknown = await first.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).message).toBe('semaphore acquire aborted');
    expect((error as CancelledError).cause).toBe(reason);
    expect(abortListeners(controller.signal)).toBe(0);
    sem.release();
    await second;
    expect(sem.available).toBe(0);
    expect(sem.waiting).toBe(0);
  });

  it('removes the abort listener once granted', async () => {
    const sem = new Semaphore(1);
    const controller = new AbortController();
    await sem.acquire(controller.signal); // granted at once
    expect(abortListeners(controller.signal)).toBe(0);
    const p = sem.acquire(controller.signal);
    expect(abortListeners(controller.signal)).toBe(1);
    sem.release();
    await p;
    expect(abortListeners(controller.signal)).toBe(0);
    controller.abort(); // too late: the permit is held
    expect(sem.available).toBe(0);
  });

  it('rejects at once for an already-aborted signal, even with a free permit', async () => {
    const sem = new Semaphore(1);
    const reason = new Error('gone');
    await expect(sem.acquire(AbortSignal.abort(reason))).rejects.toMatchObject({
      name: 'CancelledError',
      cause: reason,
    });
    expect(sem.available).toBe(1);
    const fn = vi.fn();
    await expect(sem.run(fn, AbortSignal.abort())).rejects.toBeInstanceOf(CancelledError);
    expect(fn).not.toHaveBeenCalled();
    expect(sem.available).toBe(1);
  });

  it('ignores an extra release: available never exceeds permits', () => {
    const sem = new Semaphore(2);
    sem.release();
    expect(sem.available).toBe(2);
    sem.tryAcquire();
    sem.release();
    sem.release();
    expect(sem.available).toBe(2);
    expect(sem.tryAcquire()).toBe(true);
    expect(sem.tryAcquire()).toBe(true);
    expect(sem.tryAcquire()).toBe(false);
  });

  it.each([
    [0, RangeError, 'permits must be an integer ≥ 1, got 0'],
    [-1, RangeError, 'permits must be an integer ≥ 1, got -1'],
    [1.5, RangeError, 'permits must be an integer ≥ 1, got 1.5'],
    [Number.NaN, RangeError, 'permits must be an integer ≥ 1, got NaN'],
    [Number.POSITIVE_INFINITY, RangeError, 'permits must be an integer ≥ 1, got Infinity'],
    ['2', TypeError, 'permits must be an integer ≥ 1, got "2"'],
    [null, TypeError, 'permits must be an integer ≥ 1, got null'],
  ])('rejects permits %s', (value, type, message) => {
    expect(() => new Semaphore(value as number)).toThrow(type);
    expect(() => new Semaphore(value as number)).toThrow(message);
  });

  it('rejects a bad signal or fn without taking a permit', async () => {
    const sem = new Semaphore(1);
    await expect(sem.acquire(null as unknown as AbortSignal)).rejects.toThrow(
      new TypeError('signal must be an AbortSignal, got null'),
    );
    await expect(sem.run('x' as unknown as () => void)).rejects.toThrow(TypeError);
    expect(sem.available).toBe(1);
  });

  it('run releases the permit when fn throws or rejects', async () => {
    const sem = new Semaphore(1);
    await expect(
      sem.run(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(sem.available).toBe(1);
    await expect(sem.run(() => Promise.reject(new Error('async')))).rejects.toThrow('async');
    expect(sem.available).toBe(1);
    expect(await sem.run(() => 7)).toBe(7);
    expect(sem.available).toBe(1);
  });

  it('enqueue grants synchronously (at once or from release) and cancel leaves the queue', () => {
    const sem = new Semaphore(1);
    const log: string[] = [];
    sem.enqueue(() => log.push('a'));
    expect(log).toEqual(['a']);
    const b = sem.enqueue(() => log.push('b'));
    sem.enqueue(() => log.push('c'));
    expect(sem.waiting).toBe(2);
    b.cancel();
    b.cancel();
    expect(sem.waiting).toBe(1);
    sem.release();
    expect(log).toEqual(['a', 'c']);
    expect(sem.available).toBe(0);
    sem.release();
    expect(sem.available).toBe(1);
  });

  it('property: permits are never exceeded and every non-aborted acquirer gets a permit', async () => {
    const op = fc.record({
      kind: fc.constantFrom('acquire', 'acquire', 'try', 'enqueue'),
      at: fc.integer({ min: 0, max: 50 }),
      hold: fc.integer({ min: 0, max: 30 }),
      abortAt: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 25 }), async (permits, ops) => {
        const sem = new Semaphore(permits);
        let held = 0;
        let peak = 0;
        const granted: number[] = [];
        const outcomes: Promise<'granted' | 'aborted' | 'skipped'>[] = [];
        const hold = async (id: number, ms: number) => {
          granted.push(id);
          held++;
          peak = Math.max(peak, held);
          await sleep(ms);
          held--;
          sem.release();
        };
        ops.forEach(({ kind, at, hold: ms, abortAt }, id) => {
          outcomes.push(
            new Promise((settle) => {
              setTimeout(() => {
                if (kind === 'try') {
                  if (!sem.tryAcquire()) return settle('skipped');
                  return void hold(id, ms).then(() => settle('granted'));
                }
                if (kind === 'enqueue') {
                  let got = false;
                  const waiter = sem.enqueue(() => {
                    got = true;
                    void hold(id, ms).then(() => settle('granted'));
                  });
                  if (abortAt !== undefined) {
                    setTimeout(() => {
                      waiter.cancel();
                      if (!got) settle('aborted');
                    }, abortAt);
                  }
                  return;
                }
                const controller = new AbortController();
                if (abortAt !== undefined) setTimeout(() => controller.abort(), abortAt);
                sem.acquire(controller.signal).then(
                  () => void hold(id, ms).then(() => settle('granted')),
                  (error: unknown) => {
                    expect(error).toBeInstanceOf(CancelledError);
                    settle('aborted');
                  },
                );
              }, at);
            }),
          );
        });
        await vi.runAllTimersAsync();
        const results = await Promise.all(outcomes);
        expect(peak).toBeLessThanOrEqual(permits);
        expect(held).toBe(0);
        expect(sem.available).toBe(permits);
        expect(sem.waiting).toBe(0);
        ops.forEach(({ kind, abortAt }, id) => {
          // an acquirer without an abort always gets a permit
          if (kind !== 'try' && abortAt === undefined) expect(results[id]).toBe('granted');
        });
        // grants happen in request order (ties broken by submission order)
        const requestOrder = ops.map((o, id) => [o.at, id] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        const rank = new Map(requestOrder.map(([, id], r) => [id, r]));
        const ranks = granted.map((id) => rank.get(id) as number);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });
});

describe('many direct waiters on one signal', () => {
  it('share one abort listener (no MaxListenersExceededWarning); an abort rejects each, a grant removes its share', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const sem = new Semaphore(1);
      const limiter = new RateLimiter({ limit: 1, interval: 1000 });
      await sem.acquire();
      limiter.tryAcquire();
      const waits = [
        ...Array.from({ length: 20 }, () => sem.acquire(controller.signal)),
        ...Array.from({ length: 20 }, () => limiter.acquire(controller.signal)),
      ];
      const outcomes = waits.map((p) =>
        p.then(
          () => 'granted',
          (e: unknown) => e,
        ),
      );
      expect(abortListeners(controller.signal)).toBe(1);
      sem.release(); // the first waiter is granted and leaves the watch
      await vi.advanceTimersByTimeAsync(1000); // so is the limiter's first
      controller.abort(new Error('stop'));
      const results = await Promise.all(outcomes);
      expect(results.filter((r) => r === 'granted')).toHaveLength(2);
      for (const r of results.filter((r) => r !== 'granted')) {
        expect(r).toBeInstanceOf(CancelledError);
        expect(((r as CancelledError).cause as Error).message).toBe('stop');
      }
      expect(abortListeners(controller.signal)).toBe(0);
      expect([sem.waiting, limiter.waiting]).toEqual([0, 0]);
      await new Promise((resolve) => process.nextTick(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('WaiterList (the queue of semaphores and rate limiters)', () => {
  it('serves the highest priority first and equal ones in arrival order, under any mix of push, cancel and shift', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('push' as const),
        priority: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
      }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('shift' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const list = new WaiterList();
        const served: number[] = [];
        /** the reference: waiting ids, in the order they must be served */
        let model: { id: number; priority: number }[] = [];
        const handles = new Map<number, Waiter>();
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const id = next++;
            handles.set(
              id,
              list.push(() => served.push(id), undefined, o.priority),
            );
            const at = model.findIndex((m) => m.priority < o.priority);
            model.splice(at === -1 ? model.length : at, 0, { id, priority: o.priority });
          } else if (o.kind === 'cancel' && model.length > 0) {
            const victim = model[o.pick % model.length] as { id: number };
            handles.get(victim.id)?.cancel();
            model = model.filter((m) => m !== victim);
          } else if (o.kind === 'shift') {
            served.length = 0;
            list.shift()?.();
            expect(served).toEqual(model.length > 0 ? [model[0]?.id] : []);
            model.shift();
          }
          expect(list.size).toBe(model.length);
        }
        const rest: number[] = [];
        for (let grant = list.shift(); grant !== undefined; grant = list.shift()) {
          served.length = 0;
          grant();
          rest.push(...served);
        }
        expect(rest).toEqual(model.map((m) => m.id));
      }),
      { numRuns: 300 },
    );
  });
});
