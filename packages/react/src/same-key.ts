'use client';

/**
 * Dependency-array equality: two arrays are the same when they have the same
 * length and `Object.is`-equal elements (so an inline array literal with the
 * same elements is no change); anything else is compared with `Object.is`.
 */
export function sameKey(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
