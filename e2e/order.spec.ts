import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

interface Arrival {
  index: number;
  /** ms since the run started, as the page shows it */
  arrivalMs: number;
  /** `performance.now()` in the page when the row was first seen delivered */
  seenAt: number;
}

/**
 * Watches both columns from inside the page (every animation frame) and
 * records when each result first shows up delivered, until both runs are done.
 */
function recordArrivals(page: Page): Promise<{ map: Arrival[]; asCompleted: Arrival[]; samples: number }> {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const seen = { map: new Map<number, Arrival>(), asCompleted: new Map<number, Arrival>() };
        let samples = 0;
        const collect = (testId: 'map' | 'asCompleted', selector: string): void => {
          for (const row of document.querySelectorAll<HTMLElement>(selector)) {
            if (row.dataset.state !== 'delivered' || row.dataset.arrivalMs === undefined) continue;
            const index = Number(row.dataset.index);
            if (!seen[testId].has(index))
              seen[testId].set(index, { index, arrivalMs: Number(row.dataset.arrivalMs), seenAt: performance.now() });
          }
        };
        const tick = (): void => {
          samples++;
          collect('map', '[data-testid="map-result"]');
          collect('asCompleted', '[data-testid="ascompleted-result"]');
          const byTime = (m: Map<number, Arrival>) =>
            [...m.values()].sort((a, b) => a.seenAt - b.seenAt || a.arrivalMs - b.arrivalMs);
          if ((seen.map.size === 5 && seen.asCompleted.size === 5) || samples > 3000) {
            resolve({ map: byTime(seen.map), asCompleted: byTime(seen.asCompleted), samples });
          } else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
  );
}

async function domOrder(page: Page, testId: string): Promise<{ index: number; arrivalMs: number }[]> {
  return page.getByTestId(testId).evaluateAll((rows) =>
    rows.map((row) => ({
      index: Number((row as HTMLElement).dataset.index),
      arrivalMs: Number((row as HTMLElement).dataset.arrivalMs),
    })),
  );
}

function nonDecreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v >= (values[i - 1] as number));
}

/** At 4× speed: item 0 takes 3000 / 4 = 750 ms, items 1–4 take 500 / 4 = 125 ms. */
const SLOW = 750;
const FAST = 125;

async function checkOrders(page: Page): Promise<void> {
  const arrivals = await recordArrivals(page);
  expect(arrivals.samples).toBeGreaterThan(10);

  // map: delivered in input order — nothing is delivered before item 0, which is slow.
  expect(arrivals.map.map((a) => a.index)).toEqual([0, 1, 2, 3, 4]);
  for (const a of arrivals.map) expect(a.arrivalMs).toBeGreaterThanOrEqual(SLOW - 30);
  const mapDom = await domOrder(page, 'map-result');
  expect(mapDom.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
  expect(nonDecreasing(mapDom.map((r) => r.arrivalMs))).toBe(true);

  // asCompleted: the fast ones first (as they finished), the slow one last.
  const completedSeen = arrivals.asCompleted.map((a) => a.index);
  expect(completedSeen.at(-1)).toBe(0);
  expect([...completedSeen.slice(0, 4)].sort()).toEqual([1, 2, 3, 4]);
  const completedDom = await domOrder(page, 'ascompleted-result');
  expect(completedDom.map((r) => r.index)).toEqual(completedSeen);
  expect(nonDecreasing(completedDom.map((r) => r.arrivalMs))).toBe(true);
  for (const r of completedDom.slice(0, 4)) {
    expect(r.arrivalMs).toBeGreaterThanOrEqual(FAST - 30);
    expect(r.arrivalMs).toBeLessThan(SLOW - 100);
  }
  expect(completedDom[4]?.arrivalMs).toBeGreaterThanOrEqual(SLOW - 30);
  // asCompleted handed the first result over long before map delivered anything.
  expect((mapDom[0]?.arrivalMs ?? 0) - (completedDom[0]?.arrivalMs ?? 0)).toBeGreaterThan(SLOW - FAST - 100);

  await expect(page.getByTestId('map-status')).toContainText('success, 5 of 5');
  await expect(page.getByTestId('ascompleted-status')).toContainText('success, 5 of 5');
}

test('map delivers in input order, asCompleted in completion order; Rerun runs again', async ({ page }, testInfo) => {
  await page.goto('/?speed=4#order');
  await expect(page.getByRole('heading', { name: 'map vs asCompleted' })).toBeVisible();
  await checkOrders(page);
  await page.screenshot({ path: join(testInfo.project.outputDir, 'order.png'), fullPage: true });

  await page.getByRole('button', { name: 'Rerun' }).click();
  await expect(page.getByTestId('map-status')).toContainText('running');
  await checkOrders(page);
});

test('the slow item delay slider restarts both runs with the new delay', async ({ page }) => {
  await page.goto('/?speed=4#order');
  await expect(page.getByTestId('map-status')).toContainText('success', { timeout: 5000 });
  // 2000 ms at 4× speed: 500 ms.
  await page.getByTestId('slow-input').fill('2000');
  await expect(page.getByTestId('map-status')).toContainText('running');
  await expect(page.getByTestId('map-status')).toContainText('success, 5 of 5');
  await expect(page.getByTestId('ascompleted-status')).toContainText('success, 5 of 5');
  const slow = await page.getByTestId('map-result').first().getAttribute('data-arrival-ms');
  expect(Number(slow)).toBeGreaterThanOrEqual(470);
  expect(Number(slow)).toBeLessThan(740);
  await expect(page.getByTestId('ascompleted-result').last()).toHaveAttribute('data-index', '0');
});

test("the text tells what the map column shows (useMap's results held back as map's promise would) and the run's own speed", async ({
  page,
}) => {
  await page.goto('/?speed=1#order');
  const text = page.locator('.view-head p');
  await expect(text).toContainText('map resolves in input order');
  await expect(text).not.toContainText('useMap delivers results in input order');
  // At 1× the fast items finish at 500 ms, the slow one at 3000 ms: useMap has results[1] already; the column holds it.
  const item1 = page.getByTestId('map-result').nth(1);
  await expect(item1).toHaveAttribute('data-state', 'held', { timeout: 2500 });
  await expect(item1).toContainText(/finished at \d+ ms, held for item 0/);

  // A speed chosen mid-run applies from the next run: the text says the run's.
  await page.getByLabel('Speed').selectOption('4');
  await expect(text).toContainText('(this run at 1× speed; 4× applies from the next run)');
  await page.getByRole('button', { name: 'Rerun' }).click();
  await expect(text).toContainText('(run at 4× speed)');
  await expect(page.getByTestId('map-status')).toContainText('success, 5 of 5', { timeout: 5000 });
});
