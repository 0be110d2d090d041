import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import type { Stats } from './helpers';

interface ApiResponse<T> {
  status: number;
  cacheControl: string | null;
  body: T;
}

/** `fetch` from inside the page (same origin as the demo). */
async function api<T>(page: Page, path: string, init?: { method: string; body?: string }): Promise<ApiResponse<T>> {
  return page.evaluate(
    async ({ path, init }) => {
      const res = await fetch(path, init ?? {});
      return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as T };
    },
    { path, init },
  );
}

test('the demo renders and its mock API answers', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page).toHaveTitle(/fanout/i);
  await expect(page.getByRole('heading', { name: /fanout/i }).first()).toBeVisible();

  const stats = await api<Stats>(page, '/api/stats');
  expect(stats.status).toBe(200);
  expect(stats.cacheControl).toBe('no-store');
  for (const key of [
    'inFlight',
    'maxInFlight',
    'total',
    'ok',
    'rateLimited',
    'failed',
    'aborted',
    'maxInWindow',
    'windowMs',
  ] as const) {
    expect(typeof stats.body[key], key).toBe('number');
  }
  expect(stats.body.config).toMatchObject({ rateLimit: expect.any(Number), rateInterval: stats.body.windowMs });

  // One request through the page, with failures off, then back to the defaults.
  const reset = await api<Stats>(page, '/api/reset', {
    method: 'POST',
    body: JSON.stringify({ failureRate: 0, minDelayMs: 0, maxDelayMs: 10 }),
  });
  expect(reset.body).toMatchObject({ total: 0, ok: 0, inFlight: 0 });
  const item = await api<{ id: string; value: string; servedAt: number }>(page, '/api/items/7');
  expect(item.status).toBe(200);
  expect(item.body).toMatchObject({ id: '7', value: 'value-7' });
  const after = await api<Stats>(page, '/api/stats');
  expect(after.body).toMatchObject({ total: 1, ok: 1, inFlight: 0, maxInFlight: 1, maxInWindow: 1 });
  await api<Stats>(page, '/api/reset', { method: 'POST' });

  await page.screenshot({ path: join(testInfo.project.outputDir, 'smoke.png'), fullPage: true });
});

test('a fetch aborted in the page is counted as aborted by the mock API', async ({ page }) => {
  await page.goto('/');
  await api<Stats>(page, '/api/reset', {
    method: 'POST',
    body: JSON.stringify({ failureRate: 0, minDelayMs: 5000, maxDelayMs: 5000 }),
  });
  await page.evaluate(() => {
    const controller = new AbortController();
    (window as unknown as { abortSlow: () => void }).abortSlow = () => controller.abort();
    fetch('/api/items/slow', { signal: controller.signal }).catch(() => undefined);
  });
  await expect.poll(async () => (await api<Stats>(page, '/api/stats')).body.inFlight).toBe(1);
  await page.evaluate(() => (window as unknown as { abortSlow: () => void }).abortSlow());
  await expect
    .poll(async () => (await api<Stats>(page, '/api/stats')).body)
    .toMatchObject({ inFlight: 0, aborted: 1, ok: 0, total: 1 });
  await api<Stats>(page, '/api/reset', { method: 'POST' });
});

test('on a phone (390 px wide, and 320 px: WCAG reflow) no view is wider than the screen', async ({ page }) => {
  for (const width of [390, 320]) {
    await page.setViewportSize({ width, height: 844 });
    for (const view of ['workers', 'order', 'fetch']) {
      await page.goto(`/?speed=4#${view}`);
      await page.waitForTimeout(1200); // let the runs a view starts on its own fill their rows
      const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(widths, `#${view} at ${width} px: page width vs screen width`).toEqual([width, width]);
    }
  }
});

test('on a phone (390×844) the first screen shows the lanes, and Start shows the fetch panel, not only sliders', async ({
  page,
}) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/?speed=4#workers');
  const lane = page.getByTestId('lane').first();
  await expect(lane).toBeVisible();
  const laneBox = await lane.boundingBox();
  const controlsBox = await page.getByRole('form', { name: 'Run controls' }).boundingBox();
  expect(laneBox?.y, 'the first lane starts on the first screen').toBeLessThan(844 - (laneBox?.height ?? 0));
  expect(laneBox?.y ?? 0, 'the lanes come before the controls').toBeLessThan(controlsBox?.y ?? 0);

  // Start sits below the lanes: pressing it brings them into view.
  await page.getByTestId('run').click();
  const timeline = await page.getByTestId('timeline').boundingBox();
  expect(timeline?.y ?? -1).toBeGreaterThanOrEqual(0);
  expect((timeline?.y ?? 844) + 60).toBeLessThan(844);

  await page.goto('/?speed=4#fetch');
  await page.getByTestId('fetch-start').click();
  const cells = page.getByTestId('fetch-cells');
  await expect(cells).toBeVisible();
  await page.waitForTimeout(500); // the panel fills in: the page must not scroll it away
  const cellsBox = await cells.boundingBox();
  expect(cellsBox?.y ?? -1, 'the request cells are on screen after Start').toBeGreaterThanOrEqual(0);
  expect((cellsBox?.y ?? 844) + 40).toBeLessThan(844);
});
