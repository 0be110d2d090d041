import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { counter, setSlider, showPanelToggle, startFetchRun, stats } from './helpers';

test('the fan-out completes with every result, within the workers and the rate', async ({ page }, testInfo) => {
  const requests = 200;
  const workers = 4; // below Chromium's 6 connections per HTTP/1.1 host, so the browser is not what limits it
  await startFetchRun(page, 4, { requests, workers, clientRate: 40, serverRate: 50, failure: 10, maxDelay: 250 });
  // Mid-run, the counters account for every request, as the board does (read in one go, in the page).
  await expect.poll(() => counter(page, 'fetch-ok')).toBeGreaterThan(0);
  const counters = await page.evaluate(() =>
    ['ok', 'failed', 'running', 'queued', 'retrying'].map((id) =>
      Number(document.querySelector(`[data-testid="fetch-${id}"]`)?.textContent),
    ),
  );
  expect(counters.reduce((a, b) => a + b)).toBe(requests);
  await expect(page.getByTestId('fetch-status')).toHaveText(`finished: ${requests} of ${requests} requests done`, {
    timeout: 20_000,
  });
  await expect(page.getByTestId('fetch-ok')).toHaveText(String(requests));
  await expect(page.getByTestId('fetch-failed')).toHaveText('0');
  await expect(page.getByTestId('fetch-cells').locator('[data-state="succeeded"]')).toHaveCount(requests);

  const s = await stats(page);
  expect(s.ok).toBe(requests);
  expect(s.inFlight).toBe(0);
  expect(s.maxInFlight).toBeGreaterThan(1);
  expect(s.maxInFlight).toBeLessThanOrEqual(workers);
  expect(s.config.rateLimit).toBe(50);
  expect(s.maxInWindow).toBeLessThanOrEqual(s.config.rateLimit);
  expect(s.total).toBe(s.ok + s.failed + s.rateLimited + s.aborted);
  // The 503s were retried: the page counted them, as the server did.
  expect(s.failed).toBeGreaterThan(0);
  expect(await counter(page, 'fetch-503')).toBe(s.failed);
  expect(await counter(page, 'fetch-retries')).toBe(s.failed + s.rateLimited);
  // The page shows the same server counters.
  await expect(page.getByTestId('server-maxInFlight')).toHaveText(String(s.maxInFlight));
  await expect(page.getByTestId('server-ok')).toHaveText(String(requests));
  await page.screenshot({ path: join(testInfo.project.outputDir, 'fetch.png'), fullPage: true });
});

test('429 answers are retried no sooner than their Retry-After', async ({ page }) => {
  const requests = 50;
  // The client limiter allows more than the server does: some requests get 429 + Retry-After: 1.
  await startFetchRun(page, 4, { requests, workers: 4, clientRate: 20, serverRate: 10, failure: 0, maxDelay: 100 });
  await expect(page.getByTestId('fetch-status')).toHaveText(`finished: ${requests} of ${requests} requests done`, {
    timeout: 25_000,
  });
  await expect(page.getByTestId('fetch-ok')).toHaveText(String(requests));
  const s = await stats(page);
  expect(s.rateLimited).toBeGreaterThan(0);
  expect(s.maxInWindow).toBeLessThanOrEqual(s.config.rateLimit);
  expect(await counter(page, 'fetch-429')).toBe(s.rateLimited);
  expect(await counter(page, 'fetch-retry-after')).toBe(s.rateLimited);
  const log = await page.getByTestId('retry-log').locator('li').allTextContents();
  expect(log.length).toBeGreaterThan(0);
  for (const line of log) {
    const m = /HTTP 429, Retry-After ([\d.]+) s; next attempt in (\d+) ms/.exec(line);
    expect(m, line).not.toBeNull();
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(Number(m?.[1]) * 1000);
  }
});

test('the RETRYING counter, the amber cells and "waiting on Retry-After" agree in every frame', async ({ page }) => {
  // More workers than the client limiter lets start, a server slower than the limiter, and 503s: requests
  // wait out a Retry-After or a backoff, then wait for a worker or a token (queued, no event says so).
  await startFetchRun(page, 2, {
    requests: 200,
    workers: 32,
    clientRate: 40,
    serverRate: 30,
    failure: 10,
    maxDelay: 250,
  });
  const frames = await page.evaluate(
    () =>
      new Promise<{ frames: number; mismatches: string[]; retryingSeen: number; waitingSeen: number }>((resolve) => {
        const mismatches: string[] = [];
        let frames = 0;
        let retryingSeen = 0;
        let waitingSeen = 0;
        const started = performance.now();
        const read = (id: string) => Number(document.querySelector(`[data-testid="fetch-${id}"]`)?.textContent);
        const tick = (): void => {
          frames++;
          const retrying = read('retrying');
          const waiting = read('retry-after-now');
          const amber = document.querySelectorAll('[data-testid="fetch-cells"] [data-state="retrying"]').length;
          retryingSeen = Math.max(retryingSeen, retrying);
          waitingSeen = Math.max(waitingSeen, waiting);
          if (amber !== retrying || waiting > retrying)
            mismatches.push(`RETRYING ${retrying}, amber cells ${amber}, waiting on Retry-After ${waiting}`);
          const done = document.querySelector('[data-testid="fetch-panel"]')?.getAttribute('data-status') !== 'running';
          if (done || performance.now() - started > 4000) resolve({ frames, mismatches, retryingSeen, waitingSeen });
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
  );
  expect(frames.frames).toBeGreaterThan(100);
  expect(frames.waitingSeen, 'requests waited on a Retry-After').toBeGreaterThan(0);
  expect(frames.mismatches).toEqual([]);
});

test('the description tells the run on screen, and the mock API counts from zero with its settings when the view opens', async ({
  page,
}) => {
  // An earlier visitor left the server on its defaults (50 per window) with a request counted.
  await page.request.post('/api/reset', { data: {} });
  expect((await page.request.get('/api/items/1')).ok()).toBe(true);
  await page.goto('/?speed=4#fetch');
  await expect(page.getByTestId('server-maxInWindow')).toHaveText('0 / 30');
  await expect(page.getByTestId('server-total')).toHaveText('0');
  const description = page.getByTestId('fetch-description');
  await expect(description).toContainText('past 30 requests per 250 ms, fails 10 % of calls');

  await setSlider(page, 'fetch-failure-input', 0);
  await setSlider(page, 'fetch-delay-input', 3000);
  await expect(description).toContainText('fails 0 % of calls'); // no run yet: the next one
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('fetch-panel')).toHaveAttribute('data-status', 'running');
  await setSlider(page, 'fetch-failure-input', 50);
  await setSlider(page, 'fetch-rate-input', 5);
  // The run keeps its settings: so does the text.
  await expect(description).toContainText('fails 0 % of calls');
  await expect(description).toContainText('allows 40 starts per 250 ms');
  await expect(description).toContainText('The controls marked "next run" apply at the next Start.');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
});

test('nothing on the page moves while a run goes on (the status line and the retry log keep their size)', async ({
  page,
}) => {
  await startFetchRun(page, 2, {
    requests: 200,
    workers: 32,
    clientRate: 40,
    serverRate: 30,
    failure: 10,
    maxDelay: 250,
  });
  await expect.poll(() => counter(page, 'fetch-retries')).toBeGreaterThan(0);
  // Layout shifts (as Cumulative Layout Shift counts them) over 2 s of a run with retries coming in.
  const shift = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        let total = 0;
        const observer = new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) total += (entry as unknown as { value: number }).value;
        });
        observer.observe({ type: 'layout-shift' });
        setTimeout(() => {
          observer.disconnect();
          resolve(total);
        }, 2000);
      }),
  );
  expect(await counter(page, 'fetch-retries')).toBeGreaterThan(3);
  expect(shift).toBeLessThan(0.01);
});

test('hiding the panel mid-run aborts the requests in flight and starts no new ones', async ({ page }, testInfo) => {
  await startFetchRun(page, 1, {
    requests: 200,
    workers: 4,
    clientRate: 0,
    serverRate: 200,
    failure: 0,
    maxDelay: 3000,
  });
  await expect.poll(async () => (await stats(page)).inFlight, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
  const before = await stats(page);
  expect(before.ok).toBeLessThan(200);
  const showPanel = showPanelToggle(page);
  await expect(showPanel).toBeChecked();
  await showPanel.uncheck();
  await expect(page.getByTestId('fetch-panel')).toHaveCount(0);
  await expect(page.getByTestId('panel-placeholder')).toContainText('Panel hidden');

  await expect.poll(async () => (await stats(page)).inFlight, { timeout: 5000 }).toBe(0);
  const after = await stats(page);
  expect(after.aborted).toBeGreaterThan(0);
  expect(after.aborted).toBeGreaterThanOrEqual(before.inFlight - (after.ok - before.ok));
  await page.waitForTimeout(1000);
  const later = await stats(page);
  expect(later.total).toBe(after.total);
  expect(later.inFlight).toBe(0);
  // The page shows it too.
  await expect(page.getByTestId('server-aborted')).toHaveText(String(later.aborted));
  await expect(page.getByTestId('server-inFlight')).toHaveText('0');
  await page.screenshot({ path: join(testInfo.project.outputDir, 'fetch-hidden.png'), fullPage: true });
});

test('hiding the panel with no run under way does not claim requests were aborted', async ({ page }) => {
  await page.goto('/?speed=4#fetch');
  const placeholder = page.getByTestId('panel-placeholder');
  await showPanelToggle(page).uncheck();
  await expect(placeholder).toHaveText(/^Panel hidden\. No run was under way, so nothing was aborted/);
  await showPanelToggle(page).check();

  // …nor after a run that finished.
  await setSlider(page, 'fetch-requests-input', 10);
  await setSlider(page, 'fetch-failure-input', 0);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('fetch-status')).toHaveText('finished: 10 of 10 requests done');
  await showPanelToggle(page).uncheck();
  await expect(placeholder).toHaveText(/^Panel hidden\. No run was under way/);
  expect((await stats(page)).aborted).toBe(0);
});

/** A run of 100 requests that take up to 3 s each, 4 at a time, with some in flight. */
async function startSlowRun(page: Page): Promise<void> {
  await startFetchRun(page, 1, {
    requests: 100,
    workers: 4,
    clientRate: 0,
    serverRate: 200,
    failure: 0,
    maxDelay: 3000,
  });
  await expect.poll(async () => (await stats(page)).inFlight, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
}

test('cancelling the run aborts its requests', async ({ page }) => {
  await startSlowRun(page);
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByTestId('fetch-status')).toContainText('cancelled');
  await expect.poll(async () => (await stats(page)).inFlight, { timeout: 5000 }).toBe(0);
  const after = await stats(page);
  expect(after.aborted).toBeGreaterThan(0);
  await page.waitForTimeout(500);
  expect((await stats(page)).total).toBe(after.total);
  // The counters still account for every request: the cancelled ones are not counted as failed.
  const ids = ['ok', 'failed', 'cancelled', 'running', 'queued', 'retrying'];
  const counts = await Promise.all(ids.map((id) => counter(page, `fetch-${id}`)));
  const [, failed, cancelled] = counts;
  expect(failed).toBe(0);
  expect(cancelled).toBeGreaterThan(0);
  expect(counts.reduce((a, b) => a + b)).toBe(100);
  // …and the status line and its progress bar agree with them (requests never pulled are cancelled too)
  await expect(page.getByTestId('fetch-status')).toHaveText('cancelled: 100 of 100 requests done');
  await expect(page.getByRole('progressbar', { name: 'requests done' })).toHaveAttribute('value', '100');
});

test('Enter on a control that acts live (the workers slider, the panel toggle) leaves the run going', async ({
  page,
}) => {
  await startSlowRun(page);
  let resets = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/api/reset')) resets++;
  });
  for (const control of [page.getByTestId('fetch-workers-input'), showPanelToggle(page)]) {
    await control.focus();
    await page.keyboard.press('Enter');
  }
  await page.waitForTimeout(300); // a restart would have reset the mock API and aborted the requests by now
  expect(resets).toBe(0);
  expect((await stats(page)).aborted).toBe(0);
  await expect(page.getByTestId('fetch-status')).toContainText('running');
});

test('Start clicked three times in one go starts one run', async ({ page }) => {
  const requests = 60;
  await startFetchRun(page, 4, { requests, workers: 4, clientRate: 0, serverRate: 200, failure: 0, maxDelay: 100 });
  await expect(page.getByTestId('fetch-status')).toHaveText(`finished: ${requests} of ${requests} requests done`);
  // Each later reset answers later: a second start, if any, would replace a run already under way.
  let resets = 0;
  await page.route('**/api/reset', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 400 * resets++));
    await route.continue();
  });
  await page.evaluate(() => {
    const start = document.querySelector<HTMLButtonElement>('[data-testid="fetch-start"]');
    for (let i = 0; i < 3; i++) start?.click(); // within one task: before React disables the button
  });
  await expect(page.getByTestId('fetch-status')).toHaveText(`finished: ${requests} of ${requests} requests done`, {
    timeout: 20_000,
  });
  await expect.poll(async () => (await stats(page)).inFlight).toBe(0);
  const s = await stats(page);
  expect([s.ok, s.aborted, s.total]).toEqual([requests, 0, requests]);
});

test('unchecking "Show panel" while Start waits for the server is respected', async ({ page }) => {
  await page.route('**/api/reset', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 800));
    await route.continue();
  });
  await page.goto('/?speed=4#fetch');
  await page.getByRole('button', { name: 'Start' }).click();
  await showPanelToggle(page).uncheck();
  await expect(page.getByRole('button', { name: 'Start' })).toBeEnabled(); // the reset has answered
  await expect(showPanelToggle(page)).not.toBeChecked();
  await expect(page.getByTestId('fetch-panel')).toHaveCount(0);
  expect((await stats(page)).total).toBe(0);
});
