import { RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { checkFunction } from './validate.js';

/**
 * Wrap `fn` so that at most `limit` calls start per `interval` ms. Calls
 * queue (none is dropped) in FIFO order and each caller gets its own result.
 *
 * @example
 * const search = throttle((q: string) => api.search(q), { limit: 2, interval: 1000 });
 * const results = await Promise.all(queries.map(search)); // 2 calls per second
 */
export function throttle<A extends unknown[], R>(
  fn: (...args: A) => R | PromiseLike<R>,
  options: RateLimitOptions | RateLimiter,
): (...args: A) => Promise<Awaited<R>> {
  checkFunction('fn', fn);
  const limiter = options instanceof RateLimiter ? options : new RateLimiter(options);
  // A method stays a method: `this` is passed on, as the arguments are.
  return function (this: unknown, ...args: A) {
    return limiter.run(() => fn.apply(this, args)) as Promise<Awaited<R>>;
  };
}
