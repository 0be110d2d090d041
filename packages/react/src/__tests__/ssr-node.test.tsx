// @vitest-environment node
/**
 * ssr.test.tsx renders on the server inside jsdom, which has `window`, `document` and
 * `requestAnimationFrame`; a real server has none of them. This renders the same page in Node itself.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { renderIdleOnServer } from './ssr-app.js';

afterEach(() => {
  vi.useRealTimers();
});

it('renders every hook in Node (no DOM) with the idle server snapshot, runs nothing and leaves no timer', () => {
  vi.useFakeTimers();
  expect(typeof window).toBe('undefined');
  renderIdleOnServer();
  expect(vi.getTimerCount()).toBe(0);
});
