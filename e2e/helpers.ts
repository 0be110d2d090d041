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

/** A counter the page shows, by test id: the number its text starts with (`NaN` if none). */
export async function counter(page: Page, testId: string): Promise<number> {
  return Number.parseInt((await page.getByTestId(testId).textContent()) ?? '', 10);
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

/** The fetch view's controls. */
export interface FetchParams {
  requests: number;
  workers: number;
  clientRate: number;
  serverRate: number;
  /** share of calls answered 503, in percent (the slider's scale) */
  failure: number;
  maxDelay: number;
}

/** Opens the fetch view at `speed`, sets the controls and starts a run. */
export async function startFetchRun(page: Page, speed: number, p: FetchParams): Promise<void> {
  await page.goto(`/?speed=${speed}#fetch`);
  await expect(page.getByRole('heading', { name: 'Fetch fan-out' })).toBeVisible();
  await setSlider(page, 'fetch-requests-input', p.requests);
  await setSlider(page, 'fetch-workers-input', p.workers);
  await setSlider(page, 'fetch-rate-input', p.clientRate);
  await setSlider(page, 'fetch-server-rate-input', p.serverRate);
  await setSlider(page, 'fetch-failure-input', p.failure);
  await setSlider(page, 'fetch-delay-input', p.maxDelay);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByTestId('fetch-panel')).toBeVisible();
}

/** The workers view's controls. */
export interface WorkersParams {
  workers: number;
  tasks: number;
  duration: number;
  spread?: number;
  /** share of attempts that throw, in percent (the slider's scale) */
  failure?: number;
  retries?: number;
  rate?: number;
}

/** Opens the workers view at 4× speed, sets the controls and starts a fresh run. */
export async function startWorkersRun(page: Page, p: WorkersParams): Promise<void> {
  await page.goto('/?speed=4#workers');
  await expect(page.getByRole('heading', { name: 'Workers', level: 2 })).toBeVisible();
  await setSlider(page, 'workers-input', p.workers);
  await setSlider(page, 'tasks-input', p.tasks);
  await setSlider(page, 'duration-input', p.duration);
  await setSlider(page, 'spread-input', p.spread ?? 0);
  await setSlider(page, 'failure-input', p.failure ?? 0);
  await setSlider(page, 'retries-input', p.retries ?? 0);
  await setSlider(page, 'rate-input', p.rate ?? 0);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('count-workers')).toHaveText(String(p.workers));
}
