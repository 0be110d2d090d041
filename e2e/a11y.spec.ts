/**
 * The demo as a tester who knows only the SPEC finds it: by role, accessible name, label and
 * text (no test ids, no CSS). Locks in the accessibility pass: the "Show panel" checkbox, stable
 * button names, one `status` per run-status line (slider readouts are not statuses), the worker
 * lanes as list items that sum up their bars, and the map / asCompleted columns as regions.
 */
import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';

/** The lanes' summaries ("Worker 0: idle; 10 succeeded, 2 retrying, 1 failed, 0 cancelled"), added up. */
async function laneTotals(lanes: Locator): Promise<{ succeeded: number; failed: number; labels: string[] }> {
  const labels = await lanes.evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''));
  let succeeded = 0;
  let failed = 0;
  for (const label of labels) {
    succeeded += Number(/(\d+) succeeded/.exec(label)?.[1] ?? Number.NaN);
    failed += Number(/(\d+) failed/.exec(label)?.[1] ?? Number.NaN);
  }
  return { succeeded, failed, labels };
}

test('every view can be driven and read by role, name and label alone', async ({ page }) => {
  await test.step('workers: one "workers" label, lanes as list items, one status', async () => {
    const tasks = 40;
    await page.goto('/?speed=4#workers');
    const workers = page.getByLabel(/workers/i);
    await expect(workers).toHaveCount(1);
    await expect(workers).toHaveRole('slider');
    await workers.fill('3');
    await page.getByLabel('Tasks', { exact: true }).fill(String(tasks));
    await page.getByLabel('Task duration').fill('300');
    const failure = page.getByLabel(/failure rate/i);
    await failure.fill('25');
    await expect(failure).toHaveAttribute('aria-valuetext', '25 %');
    await page.getByLabel(/retries/i).fill('0');
    await page.getByRole('button', { name: 'Start', exact: true }).click();

    const status = page.getByRole('status');
    await expect(status).toHaveCount(1);
    await expect(status).toHaveAccessibleName('state');
    const items = page.getByRole('list', { name: /^worker lanes/i }).getByRole('listitem');
    await expect(items).toHaveCount(4); // the queue lane and the 3 workers'
    await expect(items.first()).toHaveAccessibleName(/^Queue: \d+ waiting; \d+ left it$/);
    const lanes = items.filter({ hasText: /^W\d/ });
    await expect(lanes).toHaveCount(3);
    await expect(lanes.filter({ has: page.getByRole('img', { name: /: running$/ }) }).first()).toHaveAccessibleName(
      /^Worker \d+: running task \d+, attempt 1; \d+ succeeded, 0 retrying, \d+ failed, 0 cancelled$/,
    );
    await expect(status).toHaveText('idle', { timeout: 10_000 });
    await expect(page.getByRole('button', { name: 'Start', exact: true })).toBeVisible();
    // The canvas-drawn bars are readable through the lanes' summaries: every task ended on one lane.
    await expect
      .poll(async () => {
        const { succeeded, failed } = await laneTotals(lanes);
        return succeeded + failed;
      })
      .toBe(tasks);
    const { labels } = await laneTotals(lanes);
    expect(labels.map((label) => label.replace(/\d+ (succeeded|failed)/g, 'n $1'))).toEqual([
      'Worker 0: idle; n succeeded, 0 retrying, n failed, 0 cancelled',
      'Worker 1: idle; n succeeded, 0 retrying, n failed, 0 cancelled',
      'Worker 2: idle; n succeeded, 0 retrying, n failed, 0 cancelled',
    ]);
  });

  await test.step('map vs asCompleted: each column a region with its status and readable rows', async () => {
    await page.goto('/?speed=4#order');
    const map = page.getByRole('region', { name: /^map/i });
    const asCompleted = page.getByRole('region', { name: /asCompleted/i });
    await expect(map).toHaveCount(1);
    await expect(asCompleted).toHaveCount(1);
    await expect(page.getByRole('status')).toHaveCount(2);
    await expect(map.getByRole('status')).toHaveText('success, 5 of 5 finished', { timeout: 5000 });
    await expect(asCompleted.getByRole('status')).toHaveText('success, 5 of 5 finished');
    const mapRows = await map.getByRole('listitem').allTextContents();
    expect(mapRows).toHaveLength(5);
    mapRows.forEach((row, i) => {
      expect(row).toMatch(new RegExp(`^item ${i} ${i === 0 ? 'slow' : 'fast'} arrived at \\d+ ms$`));
    });
    const completedRows = await asCompleted.getByRole('listitem').allTextContents();
    expect(completedRows).toHaveLength(5);
    for (const row of completedRows.slice(0, 4)) expect(row).toMatch(/^item [1-4] fast arrived at \d+ ms$/);
    expect(completedRows[4]).toMatch(/^item 0 slow arrived at \d+ ms$/);
  });

  await test.step('fetch: "Show panel" checkbox, "Start" and "Cancel", the run status', async () => {
    await page.goto('/?speed=4#fetch');
    await expect(page.getByLabel(/workers/i)).toHaveCount(1);
    await expect(page.getByLabel(/^rate limit/i)).toHaveRole('slider');
    await page.getByLabel(/failure rate/i).fill('0');
    await page.getByLabel(/slowest response/i).fill('3000');
    const showPanel = page.getByRole('checkbox', { name: /show panel/i });
    await expect(showPanel).toBeChecked();
    await expect(page.getByLabel(/show panel/i)).toBeChecked();
    await expect(page.getByRole('status')).toHaveCount(0);
    const start = page.getByRole('button', { name: 'Start', exact: true });

    await start.click();
    const status = page.getByRole('status');
    await expect(status).toHaveText(/^running: \d+ of 200 requests done$/);
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(status).toHaveText(/^cancelled: \d+ of 200 requests done$/);
    await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toBeDisabled();

    await start.click(); // same name for a second run
    await expect(status).toHaveText(/^running: \d+ of 200 requests done$/);
    await showPanel.uncheck();
    await expect(status).toHaveCount(0);
    await expect(page.getByText(/^Panel hidden: it unmounted/)).toBeVisible();
    await showPanel.check();
    await expect(page.getByText('Press Start to fan out the requests.')).toBeVisible();
  });
});

test('a Cancel pressed from the keyboard leaves the focus on the page, not on <body>', async ({ page }) => {
  await test.step('workers: Cancel all hands the focus to Start', async () => {
    await page.goto('/?speed=1#workers');
    await page.getByLabel('Tasks', { exact: true }).fill('200');
    await page.getByRole('button', { name: 'Start' }).click();
    const cancel = page.getByRole('button', { name: 'Cancel all' });
    await expect(cancel).toBeEnabled();
    await cancel.focus();
    await page.keyboard.press('Enter');
    await expect(cancel).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Start' })).toBeFocused();
  });
  await test.step('fetch: Cancel hands the focus to the run’s status line', async () => {
    await page.goto('/?speed=1#fetch');
    await page.getByRole('button', { name: 'Start' }).click();
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    await expect(cancel).toBeEnabled();
    await cancel.focus();
    await page.keyboard.press('Enter');
    await expect(cancel).toBeDisabled();
    await expect(page.getByTestId('fetch-status')).toBeFocused();
    await expect(page.getByTestId('fetch-status')).toContainText('cancelled');
  });
});

test('a button that becomes unavailable keeps the keyboard focus (Start waiting for the server, Cancel after the run ends)', async ({
  page,
}) => {
  await test.step('fetch: Start pressed from the keyboard stays focused while the server resets', async () => {
    await page.goto('/?speed=4#fetch');
    const start = page.getByRole('button', { name: 'Start', exact: true });
    await start.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('status')).toHaveText(/^running: /);
    await expect(start).toBeFocused();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  });
  await test.step('workers: a focused Cancel all stays focused when the run finishes on its own', async () => {
    await page.goto('/?speed=4#workers');
    await page.getByLabel('Tasks', { exact: true }).fill('10');
    await page.getByRole('button', { name: 'Start' }).click();
    const cancel = page.getByRole('button', { name: 'Cancel all' });
    await cancel.focus();
    await expect(cancel).toBeDisabled({ timeout: 10_000 }); // the run is over
    await expect(cancel).toBeFocused();
  });
});
