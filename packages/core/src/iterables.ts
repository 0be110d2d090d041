import { checkInt, describe } from './validate.js';

type AnyIterable<T> = Iterable<T> | AsyncIterable<T>;

function isAsync(value: unknown): value is AsyncIterable<unknown> {
  return value != null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** @internal */
export function checkIterable(name: string, value: unknown): void {
  if (value == null || (typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function' && !isAsync(value))) {
    throw new TypeError(`${name} must be an iterable or an async iterable, got ${describe(value)}`);
  }
}

/**
 * Tuples of the i-th elements of each input, stopping at the shortest — for
 * mapping over several inputs, like Python's `map(fn, a, b)`. Async if any
 * input is async.
 *
 * @example
 * await executor.map(([a, b]) => a * b, zip([1, 2, 3], [4, 5, 6])); // [4, 10, 18]
 */
export function zip<T extends readonly unknown[]>(
  ...iterables: { [K in keyof T]: Iterable<T[K]> }
): IterableIterator<T>;
export function zip<T extends readonly unknown[]>(
  ...iterables: { [K in keyof T]: AnyIterable<T[K]> }
): AsyncIterableIterator<T>;
export function zip(
  ...iterables: AnyIterable<unknown>[]
): IterableIterator<unknown[]> | AsyncIterableIterator<unknown[]> {
  for (const [i, it] of iterables.entries()) checkIterable(`iterables[${i}]`, it);
  if (iterables.some(isAsync)) return zipAsync(iterables);
  return zipSync(iterables as Iterable<unknown>[]);
}

function* zipSync(iterables: Iterable<unknown>[]): IterableIterator<unknown[]> {
  const its = iterables.map((it) => it[Symbol.iterator]());
  if (its.length === 0) return;
  try {
    for (;;) {
      const tuple: unknown[] = [];
      for (const it of its) {
        const r = it.next();
        if (r.done) return;
        tuple.push(r.value);
      }
      yield tuple;
    }
  } finally {
    for (const it of its) it.return?.();
  }
}

/** As zipSync, awaiting each input in turn: an input past the shortest one is not read further, as in Python. */
async function* zipAsync(iterables: AnyIterable<unknown>[]): AsyncIterableIterator<unknown[]> {
  const its = iterables.map((it) => (isAsync(it) ? it[Symbol.asyncIterator]() : it[Symbol.iterator]()));
  try {
    for (;;) {
      const tuple: unknown[] = [];
      for (const it of its) {
        const r = await it.next();
        if (r.done) return;
        tuple.push(r.value);
      }
      yield tuple;
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}

/**
 * Arrays of `size` consecutive elements (the last one may be shorter), like
 * Python's `itertools.batched`. Async if the input is async.
 *
 * @example
 * [...batched([1, 2, 3, 4, 5], 2)]; // [[1, 2], [3, 4], [5]]
 */
export function batched<T>(iterable: Iterable<T>, size: number): IterableIterator<T[]>;
export function batched<T>(iterable: AsyncIterable<T>, size: number): AsyncIterableIterator<T[]>;
export function batched<T>(iterable: AnyIterable<T>, size: number): IterableIterator<T[]> | AsyncIterableIterator<T[]> {
  checkIterable('iterable', iterable);
  checkInt('size', size, 1);
  return isAsync(iterable) ? batchedAsync(iterable, size) : batchedSync(iterable as Iterable<T>, size);
}

function* batchedSync<T>(iterable: Iterable<T>, size: number): IterableIterator<T[]> {
  let batch: T[] = [];
  for (const item of iterable) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function* batchedAsync<T>(iterable: AsyncIterable<T>, size: number): AsyncIterableIterator<T[]> {
  let batch: T[] = [];
  for await (const item of iterable) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
