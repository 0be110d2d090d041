/**
 * Reliability in the browser (docs/RELIABILITY.md, "Browser"): the fetch fan-out panel is
 * mounted and unmounted 50 times in a row, each time mid-run, and nothing is left behind —
 * no console error (the fixture), no request in flight on the mock API, and no JS heap that
 * grows with the number of cycles.
 *
 * The heap is read over CDP, after forced garbage collections, on the V8 isolate of the page
 * (`Runtime.getHeapUsage().usedSize`). The bound on its growth from cycle 25 to 50 is checked
 * against what a deliberately leaked run costs: the second test leaks the unmounted panel's
 * state on purpose, through a stand-in for the React DevTools hook, and weighs it.
 */
import type { CDPSession, Page, TestInfo } from '@playwright/test';
import { expect, test } from './fixtures';
import { setSlider, showPanelToggle, stats } from './helpers';

// Tracing records DOM snapshots from a script inside the page: it would weigh on the heap measured here.
test.use({ trace: 'off' });

const CYCLES = 50;
/** Requests per run: the demo's maximum, so that a leaked run weighs enough to be seen on the heap. */
const REQUESTS = 1000;
/** Heap marks: after cycle 5 (warm-up), 25 and 50. */
const MARKS = [5, 25, 50] as const;
/**
 * Most the used JS heap may grow from cycle 25 to cycle 50: 512 KiB, i.e. 20 KiB a cycle.
 * - Without a leak it grows by about 150 KiB over these 25 cycles. That is code the JIT
 *   compiles: a heap-snapshot diff over 100 cycles showed only compiled code (and DevTools and
 *   performance-timeline buffers, outside the JS heap) growing, no object of the app; and when
 *   a harder GC (the one `Runtime.queryObjects` does, which drops compiled code) ran at the
 *   marks, the growth was 2–10 KiB.
 * - One leaked run — what the unmounted panel's hooks hold: its executor (shut down), map
 *   run, board and frame snapshot for 1,000 requests, without the DOM — weighs about 40 KiB,
 *   so one leaked per cycle adds about 1 MiB over 25 cycles, twice the bound. A leaked panel
 *   with its DOM weighs about 200 KiB (5 MiB over 25 cycles). The calibration test below
 *   measures both, and fails if a run leaked per cycle would no longer exceed 1.5 × the bound.
 * - A leaked executor alone, once shut down, weighs a few KiB (1–5 KiB measured): too little
 *   for the heap to show. It is caught by counting live executors instead (`liveInstances`),
 *   which must be 0 — and so are leaked boards.
 */
const HEAP_GROWTH_BOUND = 512 * 1024;
const POLL = { intervals: [10], timeout: 5000 };

/** Opens the fetch view at 4× speed: responses in 5–250 ms, 20 % answered 503 (retried after 50 ms). */
async function open(page: Page): Promise<void> {
  await page.goto('/?speed=4#fetch');
  await expect(page.getByRole('heading', { name: 'Fetch fan-out' })).toBeVisible();
  await setSlider(page, 'fetch-requests-input', REQUESTS);
  await setSlider(page, 'fetch-workers-input', 4); // below Chromium's 6 connections per host
  await setSlider(page, 'fetch-rate-input', 0);
  await setSlider(page, 'fetch-server-rate-input', 200);
  await setSlider(page, 'fetch-failure-input', 20); // percent
  await setSlider(page, 'fetch-delay-input', 1000);
}

interface CycleResult {
  /** requests the server had in flight just before the panel was hidden */
  inFlightAtHide: number;
  /** requests the server had answered (200 or 503) by then */
  answeredAtHide: number;
  /** the server's `aborted` once `inFlight` was back to 0 (counters reset at each Start) */
  aborted: number;
  total: number;
}

/**
 * One cycle: Start (the server's counters reset), wait until requests are in flight and
 * `cycle % 3` of them were answered (so the panel is unmounted with none, one or two results
 * and retries pending), hide the panel, wait until the server has no request in flight, show
 * the panel again.
 */
async function cycle(page: Page, n: number): Promise<CycleResult> {
  await page.getByTestId('fetch-start').click();
  const panel = page.getByTestId('fetch-panel');
  await expect(panel).toBeVisible();
  const answered = n % 3;
  await expect
    .poll(async () => {
      const s = await stats(page);
      return s.inFlight >= 2 && s.ok + s.failed >= answered;
    }, POLL)
    .toBe(true);
  const before = await stats(page);
  await expect(panel).toHaveAttribute('data-status', 'running'); // mid-run
  const showPanel = showPanelToggle(page);
  await showPanel.uncheck(); // unmounts the panel
  await expect(panel).toHaveCount(0);
  await expect.poll(async () => (await stats(page)).inFlight, POLL).toBe(0);
  const after = await stats(page);
  expect(after.total).toBe(after.ok + after.failed + after.rateLimited + after.aborted);
  await showPanel.check(); // mounts nothing until Start
  await expect(page.getByTestId('panel-placeholder')).toHaveText('Press Start to fan out the requests.');
  return {
    inFlightAtHide: before.inFlight,
    answeredAtHide: before.ok + before.failed,
    aborted: after.aborted,
    total: after.total,
  };
}

interface Heap {
  /** used V8 heap of the page, bytes */
  js: number;
  /** used Blink (Oilpan) heap: DOM and other native objects, bytes (reported, not asserted) */
  embedder: number;
}

async function heapAfterGc(cdp: CDPSession): Promise<Heap> {
  // A few rounds, so objects freed by finalizers or weak callbacks of one round go too.
  for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
  const usage = await cdp.send('Runtime.getHeapUsage');
  return { js: usage.usedSize, embedder: usage.embedderHeapUsedSize };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

async function report(testInfo: TestInfo, name: string, figures: object): Promise<void> {
  const body = JSON.stringify(figures, null, 2);
  await testInfo.attach(name, { body, contentType: 'application/json' });
  console.log(`${name}: ${body}`);
}

test('mounting and unmounting the fetch panel 50 times mid-run leaves no request in flight and no heap growth', async ({
  page,
}, testInfo) => {
  test.setTimeout(90_000); // a safety net; it takes about 17 s
  await page.addInitScript(installLeakHook); // leaks nothing: it notes the executor's and board's prototypes
  await open(page);
  const cdp = await page.context().newCDPSession(page);

  const cycles: CycleResult[] = [];
  const heap = new Map<number, Heap>();
  for (let n = 1; n <= CYCLES; n++) {
    const result = await cycle(page, n);
    expect(result.inFlightAtHide, `cycle ${n}: requests in flight when hidden`).toBeGreaterThanOrEqual(2);
    cycles.push(result);
    if ((MARKS as readonly number[]).includes(n)) heap.set(n, await heapAfterGc(cdp));
  }
  // Counted after the last heap mark only: `Runtime.queryObjects` collects garbage harder than
  // `HeapProfiler.collectGarbage` (it also drops compiled code), which would skew the next mark.
  const live = {
    executors: await liveInstances(cdp, 'executorProto'),
    boards: await liveInstances(cdp, 'boardProto'),
  };

  // After the last unmount: nothing in flight (checked by the last cycle), and nothing starts later.
  const last = await stats(page);
  await page.waitForTimeout(500);
  const later = await stats(page);
  expect(later.inFlight).toBe(0);
  expect(later.total).toBe(last.total);
  await expect(page.getByTestId('server-inFlight')).toHaveText('0');

  // Every cycle's hide aborted what was in flight: the server's `aborted` grew, cycle after cycle.
  const aborted = cycles.reduce((sum, c) => sum + c.aborted, 0);
  const inFlightAtHide = cycles.reduce((sum, c) => sum + c.inFlightAtHide, 0);
  const cyclesWithAborts = cycles.filter((c) => c.aborted > 0).length;
  expect(aborted).toBeGreaterThan(0);
  // A request can finish between the last read and the click, but not most of them.
  expect(cyclesWithAborts).toBeGreaterThanOrEqual(CYCLES * 0.9);

  const at = (n: number): Heap => heap.get(n) as Heap;
  const [h5, h25, h50] = [at(5), at(25), at(50)];
  const growth = h50.js - h25.js;
  await report(testInfo, 'browser-reliability', {
    cycles: CYCLES,
    requestsPerRun: REQUESTS,
    inFlightAtHide,
    answeredAtHide: cycles.reduce((sum, c) => sum + c.answeredAtHide, 0),
    abortedTotal: aborted,
    cyclesWithAborts,
    inFlightAfterLastUnmount: later.inFlight,
    heapJs: { 5: mib(h5.js), 25: mib(h25.js), 50: mib(h50.js) },
    heapJsBytes: { 5: h5.js, 25: h25.js, 50: h50.js },
    heapEmbedder: { 5: mib(h5.embedder), 25: mib(h25.embedder), 50: mib(h50.embedder) },
    liveAfterLastUnmount: live,
    growth25to50: kib(growth),
    growthPerCycle: kib(growth / (MARKS[2] - MARKS[1])),
    bound: kib(HEAP_GROWTH_BOUND),
  });
  expect(growth, `used JS heap after GC grew ${kib(growth)} from cycle 25 to 50`).toBeLessThan(HEAP_GROWTH_BOUND);
  // No executor or board outlives its panel.
  expect(live).toEqual({ executors: 0, boards: 0 });
});

/**
 * A stand-in for the React DevTools global hook, installed before React loads (an init script).
 * React calls `onCommitFiberUnmount` with every fiber it unmounts, before it clears it. For the
 * FetchPanel's fiber (the one with a `config.requests` prop) the hook
 * - notes the prototypes of the executor the panel owned and of its `Board` (found among the
 *   states of its hooks), so the test can count their live instances (`Runtime.queryObjects`);
 * - when `__leak.mode` says so, keeps on purpose, before React clears the fiber, one of:
 *   `executor`: that executor (shut down by then); `run`: the head of the hooks list (executor,
 *   map run, board, frame snapshot); `panel`: that and the panel's DOM element.
 */
function installLeakHook(): void {
  type Hook = { memoizedState: unknown; next: Hook | null };
  type Fiber = {
    memoizedProps?: { config?: { requests?: number } } | null;
    memoizedState?: Hook | null;
    child?: { stateNode?: unknown } | null;
  };
  interface Leak {
    mode: string;
    kept: unknown[];
    executorProto: object | null;
    boardProto: object | null;
  }
  const w = window as unknown as { __leak: Leak; __REACT_DEVTOOLS_GLOBAL_HOOK__: unknown };
  const leak: Leak = { mode: 'off', kept: [], executorProto: null, boardProto: null };
  w.__leak = leak;
  const hasMethods = (v: unknown, names: readonly string[]): v is object =>
    typeof v === 'object' &&
    v !== null &&
    names.every((name) => typeof (v as Record<string, unknown>)[name] === 'function');
  const find = (first: Hook | null | undefined, names: readonly string[]): object | undefined => {
    for (let hook = first ?? null; hook !== null; hook = hook.next) {
      const state = hook.memoizedState;
      const candidates = [state, (state as { current?: unknown } | null)?.current];
      if (Array.isArray(state)) candidates.push(...state.flat());
      const found = candidates.find((v) => hasMethods(v, names));
      if (found !== undefined) return found as object;
    }
    return undefined;
  };
  w.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    supportsFiber: true,
    isDisabled: false,
    inject: () => 1,
    onCommitFiberRoot: () => {},
    onPostCommitFiberRoot: () => {},
    onCommitFiberUnmount: (_renderer: number, fiber: Fiber) => {
      if (fiber.memoizedProps?.config?.requests === undefined) return;
      const executor = find(fiber.memoizedState, ['submit', 'map', 'shutdown']);
      const board = find(fiber.memoizedState, ['attach', 'bind', 'getSnapshot']);
      leak.executorProto ??= executor === undefined ? null : Object.getPrototypeOf(executor);
      leak.boardProto ??= board === undefined ? null : Object.getPrototypeOf(board);
      if (leak.mode === 'executor' && executor !== undefined) leak.kept.push(executor);
      else if (leak.mode === 'run') leak.kept.push(fiber.memoizedState);
      else if (leak.mode === 'panel') leak.kept.push([fiber.memoizedState, fiber.child?.stateNode]);
    },
  };
}

/** Live instances (after a GC) whose prototype is `window.__leak[proto]`. */
async function liveInstances(cdp: CDPSession, proto: 'executorProto' | 'boardProto'): Promise<number> {
  const group = 'reliability-spec';
  const { result } = await cdp.send('Runtime.evaluate', { expression: `window.__leak.${proto}`, objectGroup: group });
  expect(result.objectId, `${proto} was noted when the panel unmounted`).toBeDefined();
  await cdp.send('HeapProfiler.collectGarbage');
  const { objects } = await cdp.send('Runtime.queryObjects', {
    prototypeObjectId: result.objectId as string,
    objectGroup: group,
  });
  const { result: count } = await cdp.send('Runtime.callFunctionOn', {
    objectId: objects.objectId as string,
    functionDeclaration: 'function () { return this.length; }',
    returnByValue: true,
  });
  await cdp.send('Runtime.releaseObjectGroup', { objectGroup: group });
  return count.value as number;
}

test('calibration: a leaked run breaks the heap bound; leaked executors are counted', async ({ page }, testInfo) => {
  test.setTimeout(90_000); // a safety net; it takes about 10 s
  await page.addInitScript(installLeakHook);
  await open(page);
  const cdp = await page.context().newCDPSession(page);
  const leaks = 8;
  let n = 0;
  for (; n < 5; n++) await cycle(page, n + 1); // warm-up

  // Weigh what is kept: the heap with the leaked objects, then without them (no cycle in between).
  const cost: Record<string, { js: number; embedder: number }> = {};
  const counted = { executors: 0, boards: 0 };
  for (const mode of ['executor', 'run', 'panel']) {
    await page.evaluate((m) => {
      (window as unknown as { __leak: { mode: string } }).__leak.mode = m;
    }, mode);
    for (let i = 0; i < leaks; i++) await cycle(page, ++n);
    const kept = await page.evaluate(() => {
      const leak = (window as unknown as { __leak: { mode: string; kept: unknown[] } }).__leak;
      leak.mode = 'off';
      return leak.kept.length;
    });
    expect(kept, `${mode}: one leaked per cycle`).toBe(leaks);
    if (mode === 'executor') counted.executors = await liveInstances(cdp, 'executorProto');
    if (mode === 'run') counted.boards = await liveInstances(cdp, 'boardProto');
    const withLeak = await heapAfterGc(cdp);
    await page.evaluate(() => {
      (window as unknown as { __leak: { kept: unknown[] } }).__leak.kept.length = 0;
    });
    const without = await heapAfterGc(cdp);
    cost[mode] = {
      js: (withLeak.js - without.js) / leaks,
      embedder: (withLeak.embedder - without.embedder) / leaks,
    };
  }
  const per = (mode: string): { js: string; embedder: string; js25Cycles: string } => {
    const c = cost[mode] as { js: number; embedder: number };
    return { js: kib(c.js), embedder: kib(c.embedder), js25Cycles: kib(25 * c.js) };
  };
  await report(testInfo, 'leak-calibration', {
    requestsPerRun: REQUESTS,
    leakedPerMode: leaks,
    executor: per('executor'),
    run: per('run'),
    panel: per('panel'),
    bound: kib(HEAP_GROWTH_BOUND),
    liveWhileLeaked: counted,
  });
  // The counts of live executors and boards see the leaked ones: the main test's check that both are 0 means something.
  expect(counted).toEqual({ executors: leaks, boards: leaks });
  // A run leaked per cycle must exceed the bound over 25 cycles, with room for the growth without a leak.
  expect(25 * (cost.run?.js ?? 0)).toBeGreaterThan(1.5 * HEAP_GROWTH_BOUND);
  expect(cost.panel?.js ?? 0).toBeGreaterThanOrEqual(cost.run?.js ?? 0);
});
