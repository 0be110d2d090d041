import { expect, test } from './fixtures';
import { counter, startFetchRun, startWorkersRun, stats } from './helpers';

/**
 * The README's demo command (`pnpm dev`) serves the demo from Vite's dev server: React's development
 * build, where `<StrictMode>` runs every effect twice (mount, simulated unmount, mount) and React's
 * warnings reach the console, which the fixture fails on. The other specs run the production build
 * (`vite preview`), where neither happens. Playwright starts both servers and runs this spec as its own
 * project, `chromium-dev`, against the dev server (playwright.config.ts).
 */

test('`pnpm dev` serves the demo in development mode, with the mock API', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle(/fanout/i);
  await expect(page.getByRole('heading', { name: /fanout/i }).first()).toBeVisible();
  // Vite's dev client is on the page: this is the dev server, not a build.
  await expect(page.locator('script[src="/@vite/client"]')).toHaveCount(1);
  expect((await stats(page)).inFlight).toBe(0);
});

test("StrictMode's double effects send each request once: no second run, nothing aborted", async ({ page }) => {
  const requests = 60;
  await startFetchRun(page, 4, { requests, workers: 4, clientRate: 0, serverRate: 200, failure: 0, maxDelay: 100 });
  await expect(page.getByTestId('fetch-status')).toHaveText(`finished: ${requests} of ${requests} requests done`, {
    timeout: 20_000,
  });
  const s = await stats(page);
  expect(s.ok).toBe(requests);
  expect(s.total).toBe(requests);
  expect(s.aborted).toBe(0);
  expect(s.maxInFlight).toBeLessThanOrEqual(4);
});

test('the workers and the order views run to the end in development mode', async ({ page }) => {
  const tasks = 40;
  await startWorkersRun(page, { workers: 4, tasks, duration: 200, spread: 0.5, failure: 20, retries: 3 });
  await expect(page.getByTestId('run-state')).toHaveText('idle', { timeout: 20_000 });
  expect((await counter(page, 'count-succeeded')) + (await counter(page, 'count-failed'))).toBe(tasks);
  expect(await counter(page, 'count-cancelled')).toBe(0);

  await page.goto('/?speed=4#order');
  await expect(page.getByTestId('map-status')).toHaveText('success, 5 of 5 finished', { timeout: 10_000 });
  await expect(page.getByTestId('ascompleted-status')).toContainText('success');
  await expect(page.locator('[data-testid="map-result"][data-state="delivered"]')).toHaveCount(5);
  await expect(page.locator('[data-testid="ascompleted-result"][data-state="delivered"]')).toHaveCount(5);
});
