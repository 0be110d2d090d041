import { describe, expect, it } from 'vitest';
import { AsyncExecutor, CancelledError, WaitStrategy } from '../index.js';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
describe('smoke', () => {
  it('submit/map/mapIter', async () => {
    const ex = new AsyncExecutor({ maxWorkers: 2 });
    expect(await ex.submit(() => 42)).toBe(42);
    expect(await ex.submit(async () => 43)).toBe(43);
    expect(await ex.map(async (x: number) => { await sleep(5 - x); return x * 2; }, [1, 2, 3, 4])).toEqual([2, 4, 6, 8]);
    const out: number[] = [];
    for await (const v of ex.mapIter(async (x: number) => { await sleep(10 - x); return x; }, [1, 2, 3, 4, 5], { ordered: false })) out.push(v);
    expect(out.sort()).toEqual([1, 2, 3, 4, 5]);
    const f = ex.submit(() => sleep(50));
    const g = ex.submit(() => sleep(50));
    const h = ex.submit(() => sleep(50));
    expect(ex.getSnapshot().running).toBe(2);
    expect(ex.getSnapshot().queued).toBe(1);
    expect(h.cancel()).toBe(true);
    await expect(h).rejects.toBeInstanceOf(CancelledError);
    const { done, pending } = await ex.wait([f, g], { returnWhen: WaitStrategy.FIRST_COMPLETED });
    expect(done.size + pending.size).toBe(2);
    await ex.shutdown();
    expect(() => ex.submit(() => 1)).toThrow();
    await expect(ex.map((x) => x, [1, 2])).rejects.toThrow(/shut down/);
  });
  it('map fail-fast', async () => {
    const ex = new AsyncExecutor({ maxWorkers: 2 });
    const p = ex.map(async (x: number) => { await sleep(x); if (x === 5) throw new Error('boom'); return x; }, [20, 5, 30, 40]);
    await expect(p).rejects.toThrow('boom');
    const it2 = ex.mapIter(async (x: number) => { if (x === 2) throw new Error('two'); return x; }, [0, 1, 2, 3]);
    expect((await it2.next()).value).toBe(0);
    expect((await it2.next()).value).toBe(1);
    await expect(it2.next()).rejects.toThrow('two');
    expect((await it2.next()).done).toBe(true);
  });
  it('infinite mapIter', async () => {
    const ex = new AsyncExecutor({ maxWorkers: 4 });
    let pulled = 0;
    function* count() { for (let i = 0; ; i++) { pulled++; yield i; } }
    const out: number[] = [];
    for await (const v of ex.mapIter(async (x: number) => x * x, count(), { bufferSize: 2 })) { out.push(v); if (out.length === 4) break; }
    expect(out).toEqual([0, 1, 4, 9]);
    expect(pulled).toBeLessThanOrEqual(6);
    async function* acount() { for (let i = 0; ; i++) yield i; }
    const out2: number[] = [];
    for await (const v of ex.mapIter((x: number) => x, acount())) { out2.push(v); if (out2.length === 100) break; }
    expect(out2[99]).toBe(99);
  });
});
