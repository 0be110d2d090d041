import { afterEach } from 'vitest';

/**
 * Any unhandled rejection during a test fails that test: fanout promises
 * that a failed future nobody awaits never produces one.
 */
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  unhandled.push(reason);
});

afterEach(async () => {
  // Node reports unhandled rejections after the microtask queue drains.
  await new Promise<void>((resolve) => process.nextTick(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (unhandled.length > 0) {
    const reasons = unhandled.splice(0);
    throw new Error(`unhandled rejection(s) during the test: ${reasons.map(String).join('; ')}`);
  }
});
