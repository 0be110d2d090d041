import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { counter, setSlider, startWorkersRun } from './helpers';

/** Attempt bars drawn so far (all, or those that ended in `state`), as the timeline reports them. */
async function bars(page: Page, state?: 'retrying' | 'succeeded' | 'failed' | 'cancelled'): Promise<number> {
  const name = state === undefined ? 'data-bars' : `data-bars-${state}`;
  return Number(await page.getByTestId('timeline').getAttribute(name));
}

const RUNNING_BARS = '[data-testid="timeline"] .bar[data-state="running"]';
const TOKEN_WAIT_BARS = '[data-testid="timeline"] .bar[data-state="queued"]:not([hidden])';

test('the lanes never show more running bars than workers', async ({ page }, testInfo) => {
  const tasks = 80;
  await startWorkersRun(page, { workers: 3, tasks, duration: 400, spread: 0.6, failure: 25, retries: 2, rate: 10 });
  // Sample the DOM on every animation frame until the run is over.
  const samples = await page.evaluate(
    ({ running, waiting }) =>
      new Promise<{ n: number; maxRunning: number; maxHeld: number; workers: number; overflows: string[] }>(
        (resolve) => {
          const out = { n: 0, maxRunning: 0, maxHeld: 0, workers: 0, overflows: [] as string[] };
          const tick = (): void => {
            const workers = Number(document.querySelector('[data-testid="count-workers"]')?.textContent);
            const r = document.querySelectorAll(running).length;
            const w = document.querySelectorAll(waiting).length;
            out.n++;
            out.workers = workers;
            out.maxRunning = Math.max(out.maxRunning, r);
            out.maxHeld = Math.max(out.maxHeld, r + w);
            if (r > workers || r + w > workers)
              out.overflows.push(`sample ${out.n}: ${r} running + ${w} waiting > ${workers}`);
            const state = document.querySelector('[data-testid="run-state"]')?.textContent;
            if (state === 'idle' || out.n > 5000) resolve(out);
            else requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        },
      ),
    { running: RUNNING_BARS, waiting: TOKEN_WAIT_BARS },
  );
  expect(samples.overflows).toEqual([]);
  expect(samples.n).toBeGreaterThan(50);
  expect(samples.workers).toBe(3);
  expect(samples.maxRunning).toBe(3); // the pool was saturated, and never more
  await expect(page.getByTestId('count-done')).toHaveText(`${tasks} / ${tasks}`);
  expect((await counter(page, 'count-succeeded')) + (await counter(page, 'count-failed'))).toBe(tasks);
  await expect(page.locator('[data-testid="lane"]')).toHaveCount(3);
  // Every attempt left a bar (finished ones are drawn on the lanes' canvases and counted on the timeline).
  expect(await bars(page)).toBeGreaterThanOrEqual(tasks);
  await page.screenshot({ path: join(testInfo.project.outputDir, 'workers.png'), fullPage: true });
});

test('a task holding a worker while it waits for a rate-limit token shows as a light-grey bar on that lane', async ({
  page,
}) => {
  // 4 workers and short tasks at 5 starts per second (at 4× speed): the workers wait for tokens most of the time.
  await startWorkersRun(page, { workers: 4, tasks: 40, duration: 100, rate: 5 });
  await expect(page.locator(TOKEN_WAIT_BARS).first()).toBeVisible();
  await expect(
    page.locator('[data-testid="lane"][aria-label*="waiting for a rate-limit token"]').first(),
  ).toBeAttached();
  await page.getByTestId('cancel-all').click();
  await expect(page.getByTestId('run-state')).toHaveText('idle');
  await expect(page.locator(TOKEN_WAIT_BARS)).toHaveCount(0);
});

test('every task has a bar for its wait in the queue lane, ended when it starts or is cancelled there', async ({
  page,
}) => {
  const tasks = 60;
  await startWorkersRun(page, { workers: 2, tasks, duration: 400 });
  const queueLane = page.getByTestId('queue-lane');
  await expect(queueLane).toHaveAttribute('aria-label', /^Queue: (5\d) waiting; \d+ left it$/);
  await expect(page.getByTestId('timeline')).toHaveAttribute('data-bars-queue', String(tasks));
  // the bars are painted: the queue lane's canvas is not blank
  const painted = await queueLane.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
    return n;
  });
  expect(painted).toBeGreaterThan(0);
  await page.getByTestId('cancel-all').click();
  await expect(page.getByTestId('run-state')).toHaveText('idle');
  await expect(queueLane).toHaveAttribute('aria-label', `Queue: 0 waiting; ${tasks} left it`);
});

test('growing the pool during a run starts more tasks at once; shrinking lets running ones finish', async ({
  page,
}) => {
  await startWorkersRun(page, { workers: 2, tasks: 400, duration: 1200 });
  await expect(page.locator(RUNNING_BARS)).toHaveCount(2);
  await setSlider(page, 'workers-input', 8);
  await expect(page.getByTestId('count-workers')).toHaveText('8');
  await expect(page.locator(RUNNING_BARS)).toHaveCount(8, { timeout: 2000 });
  await expect(page.locator('[data-testid="lane"]')).toHaveCount(8);
  await expect(page.getByTestId('count-running')).toHaveText('8');

  await setSlider(page, 'workers-input', 3);
  await expect(page.getByTestId('count-workers')).toHaveText('3');
  // Running attempts are not interrupted; as they finish only 3 are replaced.
  await expect(page.locator(RUNNING_BARS)).toHaveCount(3, { timeout: 3000 });
  await expect(page.getByTestId('count-running')).toHaveText('3');
  await page.getByTestId('cancel-all').click();
  await expect(page.getByTestId('run-state')).toHaveText('idle');
});

test('cancel all stops the run: nothing running or queued, and nothing more finishes', async ({ page }) => {
  const tasks = 300;
  await startWorkersRun(page, { workers: 6, tasks, duration: 400, spread: 0.5 });
  await expect.poll(() => counter(page, 'count-succeeded')).toBeGreaterThan(6);
  await page.getByRole('button', { name: 'Cancel all' }).click();
  await expect(page.getByTestId('run-state')).toHaveText('idle');
  await expect(page.getByTestId('count-running')).toHaveText('0');
  await expect(page.getByTestId('count-queued')).toHaveText('0');
  await expect(page.locator(RUNNING_BARS)).toHaveCount(0);
  const succeeded = await counter(page, 'count-succeeded');
  const cancelled = await counter(page, 'count-cancelled');
  expect(cancelled).toBeGreaterThan(0);
  expect(succeeded + cancelled + (await counter(page, 'count-failed'))).toBe(tasks);
  // The bars of the attempts that were running show as cancelled.
  expect(await bars(page, 'cancelled')).toBeGreaterThan(0);
  await page.waitForTimeout(600);
  expect(await counter(page, 'count-succeeded')).toBe(succeeded);
  await expect(page.getByTestId('cancel-all')).toBeDisabled();
});

test('pause stops starting tasks, resume goes on', async ({ page }) => {
  await startWorkersRun(page, { workers: 4, tasks: 100, duration: 300 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('run-state')).toHaveText('paused');
  // Running attempts finish; none start.
  await expect(page.getByTestId('count-running')).toHaveText('0', { timeout: 2000 });
  const queued = await counter(page, 'count-queued');
  expect(queued).toBeGreaterThan(0);
  await page.waitForTimeout(300);
  expect(await counter(page, 'count-queued')).toBe(queued);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect.poll(() => counter(page, 'count-queued')).toBeLessThan(queued);
  await page.getByTestId('cancel-all').click();
  await expect(page.getByTestId('run-state')).toHaveText('idle');
  await expect(page.getByTestId('pause')).toBeDisabled(); // nothing left to hold
});

test('bars and lanes name a task as it was submitted ("task 0…"), not by its id, which keeps counting across runs', async ({
  page,
}) => {
  // The view starts a run of 120 tasks on its own; this second run's tasks have ids from 120 on.
  await startWorkersRun(page, { workers: 4, tasks: 20, duration: 1500 });
  const bar = page.locator(RUNNING_BARS).first();
  await expect(bar).toHaveAttribute('title', /^task \d+, attempt 1: running$/);
  expect(Number(/^task (\d+)/.exec((await bar.getAttribute('title')) ?? '')?.[1])).toBeLessThan(20);
  expect(Number(await bar.getAttribute('data-task-id'))).toBeGreaterThanOrEqual(20);
  const lane = page.locator('[data-testid="lane"][aria-label*="running task"]').first();
  const label = (await lane.getAttribute('aria-label')) ?? '';
  expect(Number(/running task (\d+),/.exec(label)?.[1]), label).toBeLessThan(20);
});
