'use client';

/**
 * Dependency-array equality for `items`: two arrays are the same
 * when they have the same length and `Object.is`-equal elements, so an inline
 * array literal with the same elements is no change; two `Set`s likewise, in
 * iteration order — {@link alike} one level down. Two one-shot iterators (a
 * generator called during render) cannot be compared without being consumed,
 * so a fresh one on every render is taken as the same input: the run consumes
 * the first, and `key` or `restart()` starts another. Other objects (a `Map`
 * with entries, an async iterable) are compared by identity.
 */
export function sameKey(a: unknown, b: unknown): boolean {
  return alike(a, b, 1) || (isIterator(a) && isIterator(b));
}

/** A sync or async iterator that is its own iterable (a generator object): it can be consumed once only. */
function isIterator(x: unknown): boolean {
  if (x === null || typeof x !== 'object' || typeof (x as Iterator<unknown>).next !== 'function') return false;
  const it = x as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  return it[Symbol.iterator]?.() === x || it[Symbol.asyncIterator]?.() === x;
}

/**
 * Equal in value: the same elements, or plain data — arrays, plain objects, `Set`s and `Map`s — with
 * equal contents, ten levels down (an inline `ids.map((id) => ({ id }))`, a `key: { ids }`, a
 * `new Map()` of the same entries), or `Date`s of the same time. Other objects (a class instance, a
 * `URL`) are equal only to themselves. How a `key` is compared (as TanStack Query compares keys); for
 * `items`, a restart for inputs equal in value is the memoization mistake the hooks' loop guard names.
 */
export function alike(a: unknown, b: unknown, depth = 10): boolean {
  if (Object.is(a, b)) return true;
  if (depth === 0 || a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const xs = elements(a);
  const ys = elements(b);
  if (xs !== undefined || ys !== undefined) {
    // Of one kind (an array is not a Set with the same elements), then element by element, holes
    // included (`every` would skip them: `[ , 1]` is not `[0, 1]`).
    if (xs === undefined || ys === undefined || xs.length !== ys.length) return false;
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    for (let i = 0; i < xs.length; i++) if (!alike(xs[i], ys[i], depth - 1)) return false;
    return true;
  }
  if (!isPlain(a) || !isPlain(b)) {
    // A Date (or another object with a primitive value) is equal in value to one with the same value.
    const value = a.valueOf();
    return value !== a && Object.getPrototypeOf(a) === Object.getPrototypeOf(b) && Object.is(value, b.valueOf());
  }
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every(
      (k) =>
        Object.hasOwn(b, k) && alike((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth - 1),
    )
  );
}

function elements(x: object): unknown[] | undefined {
  if (Array.isArray(x)) return x;
  return x instanceof Set || x instanceof Map ? [...x] : undefined;
}

function isPlain(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
