import { describe, expect, it, vi } from 'vitest';
import { release, retain } from '../deferred-release.js';
import { alike, sameKey } from '../same-key.js';

describe('sameKey', () => {
  it('compares arrays element by element with Object.is, like a dependency array', () => {
    const o = {};
    expect(sameKey([1, 'a', o], [1, 'a', o])).toBe(true);
    expect(sameKey([Number.NaN], [Number.NaN])).toBe(true);
    expect(sameKey([0], [-0])).toBe(false);
    expect(sameKey([1, 2], [1, 2, 3])).toBe(false);
    expect(sameKey([{}], [{}])).toBe(false);
    expect(sameKey('k', 'k')).toBe(true);
  });

  it('compares Sets element by element in order; takes two one-shot iterators as the same input', () => {
    expect(sameKey(new Set([1, 'a']), new Set([1, 'a']))).toBe(true);
    expect(sameKey(new Set([1, 2]), new Set([2, 1]))).toBe(false);
    expect(sameKey(new Set([1]), new Set([1, 2]))).toBe(false);
    expect(sameKey(new Set([1]), [1])).toBe(false);
    function* gen() {
      yield 1;
    }
    async function* agen() {
      yield 1;
    }
    const g = gen();
    expect(sameKey(g, gen())).toBe(true);
    expect(sameKey(agen(), agen())).toBe(true);
    expect(g.next()).toEqual({ value: 1, done: false }); // comparing consumed nothing
    expect(sameKey(gen(), [1])).toBe(false);
    expect(sameKey(new Map([[1, 1]]), new Map([[1, 1]]))).toBe(false);
  });
});

describe('alike (the loop guard: inputs equal in value)', () => {
  it('holds for plain data with equal contents, a few levels down, and Dates of the same time', () => {
    expect(alike([{ id: 1, tags: ['a'] }], [{ id: 1, tags: ['a'] }])).toBe(true);
    expect(alike({ ids: [1, 2] }, { ids: [1, 2] })).toBe(true);
    expect(alike(new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]]))).toBe(true);
    expect(alike([new Date(5)], [new Date(5)])).toBe(true);
  });

  it('fails for any change of value, and for objects that are not plain data', () => {
    expect(alike([{ id: 1 }], [{ id: 2 }])).toBe(false);
    expect(alike([{ id: 1 }], [{ id: 1, x: undefined }])).toBe(false);
    expect(alike([new Date(1)], [new Date(2)])).toBe(false);
    expect(alike(new Map([[1, 1]]), new Map([[1, 2]]))).toBe(false);
    expect(alike([new URL('https://a.test/')], [new URL('https://a.test/')])).toBe(false);
    class Item {
      #secret: number;
      constructor(n: number) {
        this.#secret = n;
      }
      get secret() {
        return this.#secret;
      }
    }
    expect(alike([new Item(1)], [new Item(2)])).toBe(false);
    expect(alike(1, 2)).toBe(false);
  });
});

describe('release / retain', () => {
  it('tears down in a microtask unless retained first', async () => {
    const owner = {};
    const teardown = vi.fn();
    release(owner, teardown);
    retain(owner);
    await Promise.resolve();
    expect(teardown).not.toHaveBeenCalled();
    release(owner, teardown);
    await Promise.resolve();
    expect(teardown).toHaveBeenCalledTimes(1);
    retain(owner); // nothing pending: no-op
  });
});
