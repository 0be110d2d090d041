// @vitest-environment node
/**
 * ssr.test.tsx renders on the server inside jsdom, which has `window`, `document` and
 * `requestAnimationFrame`; a real server has none of them. This renders the same page in Node itself.
 */
import { AsyncExecutor } from '@fanout/core';
import { renderToString } from 'react-dom/server';
import { afterEach, expect, it, vi } from 'vitest';
import { App, fn } from './ssr-app.js';

afterEach(() => {
  vi.useRealTimers();
});

it('renders every hook in Node (no DOM) with the idle server snapshot, runs nothing and leaves no timer', () => {
  vi.useFakeTimers();
  expect(typeof window).toBe('undefined');
  const executor = new AsyncExecutor({ name: 'ssr', maxWorkers: 3 });
  const html = renderToString(<App executor={executor} />);
  expect(html).toContain('idle<!-- --> <!-- -->0<!-- -->/<!-- -->2');
  expect(html).toMatch(/id="completed">idle/);
  expect(html).toMatch(/ssr<!-- --> <!-- -->3<!-- --> workers, <!-- -->0<!-- --> running/);
  expect(fn).not.toHaveBeenCalled();
  expect(executor.getSnapshot().submitted).toBe(0);
  expect(executor.subscriberCount).toBe(0);
  expect(vi.getTimerCount()).toBe(0);
});
