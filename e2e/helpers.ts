import type { Locator, Page } from '@playwright/test';
import type { MockApiStats } from '../apps/demo/mock-api/server';
import { expect } from './fixtures';

/** The mock API's counters, as `GET /api/stats` returns them (the server's own type). */
export type Stats = MockApiStats;

/** The mock API's own counters, read from the test (not through the page). */
export async function stats(page: Page): Promise<Stats> {
  const res = await page.request.get('/api/stats');
  expect(res.ok()).toBe(true);
  return (await res.json()) as Stats;
}

/** The fetch view's "Show panel" checkbox (checked by default): unchecking it unmounts the panel mid-run. */
export function showPanelToggle(page: Page): Locator {
  return page.getByRole('checkbox', { name: /show panel/i });
}

/** Set a range input of the demo and wait until it shows the value. */
export async function setSlider(page: Page, testId: string, value: number): Promise<void> {
  await page.getByTestId(testId).fill(String(value));
  await expect(page.getByTestId(testId)).toHaveValue(String(value));
}
