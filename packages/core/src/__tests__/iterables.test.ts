/**
 * `batched(iterable, size)` (Python's itertools.batched) and `zip(...iterables)`
 * (for mapping over several inputs, like Python's `map(fn, a, b)`).
 * Port: cf-taskpool test_map_buffersize_on_multiple_iterables (`amul(ints, ints)` → 0, 1, 4, 9).
 */
import { describe, expect, it } from 'vitest';
import { AsyncExecutor, batched, zip } from '../index.js';
import { collect, isSettled } from './test-utils.js';

async function* asyncOf<T>(...values: T[]): AsyncGenerator<T> {
  for (const v of values) yield v;
}

function* counter(log: string[], name: string, n = Number.POSITIVE_INFINITY): Generator<number> {
  try {
    for (let i = 0; i < n; i++) {
      log.push(`${name} ${i}`);
      yield i;
    }
  } finally {
    log.push(`${name} closed`);
  }
}

describe('batched', () => {
  it('groups consecutive elements; the last batch may be shorter', () => {
    expect([...batched([1, 2, 3, 4, 5], 2)]).toEqual([[1, 2], [3, 4], [5]]);
    expect([...batched([1, 2, 3, 4], 2)]).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect([...batched('abcdefg', 3)]).toEqual([['a', 'b', 'c'], ['d', 'e', 'f'], ['g']]);
    expect([...batched([1, 2, 3], 1)]).toEqual([[1], [2], [3]]);
    expect([...batched([1, 2, 3], 10)]).toEqual([[1, 2, 3]]);
    expect([...batched([], 3)]).toEqual([]);
  });

  it('is lazy: pulls only what the consumer asks for (works on infinite input)', () => {
    const log: string[] = [];
    const it = batched(counter(log, 'src'), 3);
    expect(log).toEqual([]);
    expect(it.next().value).toEqual([0, 1, 2]);
    expect(log).toEqual(['src 0', 'src 1', 'src 2']);
    expect(it.next().value).toEqual([3, 4, 5]);
    it.return?.(undefined);
    expect(log.at(-1)).toBe('src closed');
  });

  it('batches async iterables into an async iterator', async () => {
    const it = batched(asyncOf(1, 2, 3, 4, 5), 2);
    expect(Symbol.asyncIterator in it).toBe(true);
    expect(await collect(it)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('each batch is a fresh array', () => {
    const [a, b] = [...batched([1, 2, 3, 4], 2)];
    expect(a).not.toBe(b);
  });
});

describe('zip', () => {
  it('makes tuples of sync iterables, stopping at the shortest', () => {
    expect([...zip([1, 2, 3], ['a', 'b', 'c'])]).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect([...zip([1, 2, 3, 4], ['a', 'b'])]).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect([...zip(['x'], [1, 2, 3], [true, false])]).toEqual([['x', 1, true]]);
    expect([...zip([1, 2], [])]).toEqual([]);
    expect([...zip()]).toEqual([]);
    expect([...zip([1, 2])]).toEqual([[1], [2]]);
  });

  it('is typed by position', () => {
    const pairs: [number, string][] = [...zip([1, 2], ['a', 'b'])];
    expect(pairs).toHaveLength(2);
  });

  it('the shortest wins with infinite inputs, and the inputs are closed', () => {
    const log: string[] = [];
    expect([...zip(counter(log, 'inf'), ['a', 'b'])]).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
    expect(log).toContain('inf closed');
  });

  it('is async if any input is async, and the shortest still wins', async () => {
    const it = zip(asyncOf(1, 2, 3), ['a', 'b', 'c', 'd']);
    expect(Symbol.asyncIterator in it).toBe(true);
    expect(await collect(it)).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(await collect(zip(asyncOf(1, 2, 3, 4), asyncOf('x', 'y')))).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
    expect(await collect(zip([1, 2], asyncOf<number>()))).toEqual([]);
  });

  it('async, an input past the shortest is not read further, as in Python (and as the sync zip)', async () => {
    const log: string[] = [];
    async function* logged(name: string, n: number) {
      yield* counter(log, name, n);
    }
    expect(await collect(zip(logged('a', 2), logged('b', 10)))).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(log.filter((l) => l.startsWith('b ') && !l.endsWith('closed'))).toEqual(['b 0', 'b 1']);
    expect(log).toContain('b closed');
  });

  it('async, an input that fails rejects at once, not after another input’s pending item', async () => {
    async function* fails(): AsyncGenerator<number> {
      yield 1;
      throw new Error('broken input');
    }
    let release!: () => void;
    async function* slow(): AsyncGenerator<number> {
      yield 1;
      await new Promise<void>((resolve) => (release = resolve)); // never released before the check
      yield 2;
    }
    const outcome = collect(zip(fails(), slow())).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    expect(await isSettled(outcome)).toBe(true); // without moving time: not held behind slow()'s item
    expect(await outcome).toBe('broken input');
    release?.();
  });

  it('closes every input when the consumer leaves early', () => {
    const log: string[] = [];
    for (const [a] of zip(counter(log, 'a'), counter(log, 'b'))) {
      if (a === 1) break;
    }
    expect(log).toContain('a closed');
    expect(log).toContain('b closed');
  });

  it('feeds an executor map over several inputs, like Python’s map(fn, a, b)', async () => {
    // cf-taskpool test_map_buffersize_on_multiple_iterables: amul(ints, ints) → [0, 1, 4, 9]
    const executor = new AsyncExecutor({ maxWorkers: 2 });
    expect(await executor.map(([a, b]: [number, number]) => a * b, zip([0, 1, 2, 3], [0, 1, 2, 3]))).toEqual([
      0, 1, 4, 9,
    ]);
    expect(await executor.map(([a, b]: [number, number]) => a * b, zip([1, 2, 3], [4, 5, 6]))).toEqual([4, 10, 18]);
    // infinite inputs: the finite one decides the length
    const log: string[] = [];
    expect(
      await executor.map(([a, s]: [number, string]) => `${s}${a}`, zip(counter(log, 'n'), ['a', 'b', 'c'])),
    ).toEqual(['a0', 'b1', 'c2']);
    expect(await executor.map(([a, b]: [number, number]) => a + b, zip(asyncOf(1, 2), [10, 20, 30]))).toEqual([11, 22]);
  });
});
