'use client';

/**
 * Dependency-array equality for `items` (or `key`): two arrays are the same
 * when they have the same length and `Object.is`-equal elements, so an inline
 * array literal with the same elements is no change; two `Set`s likewise, in
 * iteration order. Two one-shot iterators (a generator called during render)
 * cannot be compared without being consumed, so a fresh one on every render is
 * taken as the same input: the run consumes the first, and `key` or
 * `restart()` starts another. Anything else is compared with `Object.is`.
 */
export function sameKey(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && sameElements(a, b);
  if (a instanceof Set && b instanceof Set) return a.size === b.size && sameElements(a, b);
  return isIterator(a) && isIterator(b);
}

function sameElements(a: Iterable<unknown>, b: Iterable<unknown>): boolean {
  const ib = b[Symbol.iterator]();
  for (const x of a) if (!Object.is(x, ib.next().value)) return false;
  return true;
}

/** A sync or async iterator that is its own iterable (a generator object): it can be consumed once only. */
function isIterator(x: unknown): boolean {
  if (x === null || typeof x !== 'object' || typeof (x as Iterator<unknown>).next !== 'function') return false;
  const it = x as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  return it[Symbol.iterator]?.() === x || it[Symbol.asyncIterator]?.() === x;
}

/**
 * Equal in value one level down: the same elements, or plain objects and arrays with the same own
 * keys and `Object.is`-equal values (an inline `ids.map((id) => ({ id }))`, a `new Map()` of the
 * same entries). A restart for such inputs is the memoization mistake the hooks' loop guard names.
 */
export function alike(a: unknown, b: unknown): boolean {
  if (sameKey(a, b)) return true;
  const xs = elements(a);
  const ys = elements(b);
  if (xs === undefined || ys === undefined || xs.length !== ys.length) return false;
  return xs.every((x, i) => Object.is(x, ys[i]) || shallowEqual(x, ys[i]));
}

function elements(x: unknown): unknown[] | undefined {
  if (Array.isArray(x)) return x;
  return x instanceof Set || x instanceof Map ? [...x] : undefined;
}

function shallowEqual(x: unknown, y: unknown): boolean {
  if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  const kx = Object.keys(x);
  return (
    kx.length === Object.keys(y).length &&
    kx.every(
      (k) => Object.hasOwn(y, k) && Object.is((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]),
    )
  );
}
