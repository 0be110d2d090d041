// Scenario 6 — React: 10,000 tasks that finish as fast as they can, shown through `useMap` from
// @fanout/react, against a naive hook that calls setState on every completion. Runs in Chromium
// (Playwright's library API) on a page of the demo that its navigation does not link to:
// apps/demo/bench.html + apps/demo/src/bench/ (the measuring code is there, in measure.tsx).
//
// prepare() (once per scenario, in its own process): check that Playwright and a Chromium are
// there (else every row reads "not available"), launch it once for its version, and build the
// demo into bench/.out/react-demo. Each run (a fresh `node` process, as for every scenario):
// serve that directory on a free port with node:http, launch Chromium, open bench.html in a fresh
// page, call `window.fanoutBench.run(params)`, close everything.

import { buildDemo, DEMO_OUT, findChromium, launch, loadPlaywright, NO_CHROMIUM, serveStatic } from '../browser.mjs';

export const id = 'react';
export const title = 'Scenario 6 — React: commits and frames';
export const description = `10,000 tasks, each \`work(i)\` resolving to \`i\` as fast as it can, at concurrency 16,
rendered by React 19 (production build with the Profiler on: \`react-dom/profiling\`) in headless Chromium
(Playwright, Debian's Chromium, \`--disable-gpu\`). Page: apps/demo/bench.html (not linked from the demo),
built by Vite with the demo's config; each run is a fresh browser and page, no warm-up.

- **fanout (useMap)**: \`useMap(work, items, { executor: { maxWorkers: 16 } })\`, which re-renders at most once
  per animation frame.
- **naive**: a hook written plainly in the page: 16 workers pull the next index from a shared counter, and
  each completion calls \`setResults((r) => { const c = r.slice(); c[i] = v; return c; })\`.

Both render the same component: a progress bar and a count computed from every result. Two kinds of task:
**macrotask** — \`work\` resolves after one event-loop turn (a \`MessageChannel\` message, not clamped like a
nested \`setTimeout(0)\`), so completions spread over many tasks and frames; **instant** — \`async (i) => i\`,
so every completion lands in one microtask checkpoint (React batches the naive hook's 10,000 updates into one
render there, and the cost shows in the longest frame instead).

- **commits**: \`<Profiler onRender>\` calls, the mount included, from the start (\`root.render\`, made in a
  \`requestAnimationFrame\` callback) up to the first commit that has all results.
- **frames**: animation frames (rAF callbacks) that began after the start and no later than that commit;
  **commits − frames**: the target is ≤ 2 (mount + the commit in the last frame).
- **longest frame**: the longest gap between two consecutive rAF callbacks, from the start to the first
  callback after that commit. 16.7 ms is a frame at 60 Hz.
- **total ms**: start to that commit; **render ms**: the Profiler's \`actualDuration\`, summed.

--quick runs 1,000 tasks.`;

export const metrics = [
  { key: 'commits', label: 'commits', better: 'lower', digits: 0 },
  { key: 'frames', label: 'frames', better: 'lower', digits: 0 },
  { key: 'commitsOverFrames', label: 'commits − frames', better: 'lower', digits: 0 },
  { key: 'longestFrameMs', label: 'longest frame ms', better: 'lower', digits: 1 },
  { key: 'totalMs', label: 'total ms', better: 'lower', digits: 1 },
  { key: 'renderMs', label: 'render ms', better: 'lower', digits: 1 },
];

const CONCURRENCY = 16;
/** Case names leave the size out, so that the targets below also apply to --quick (indicatively). */
const CASES = { macrotask: 'macrotask tasks', instant: 'instant tasks' };

export function cases({ quick }) {
  const n = quick ? 1_000 : 10_000;
  return Object.entries(CASES).map(([work, name]) => ({ name, params: { n, concurrency: CONCURRENCY, work } }));
}

export const floor = null;
export const fanout = 'fanout (useMap)';

export const targets = Object.values(CASES).map((name) => ({
  text: `fanout \`useMap\`: commits ≤ frames elapsed + 2 in every run (${name})`,
  case: name,
  lib: 'fanout (useMap)',
  metric: 'commitsOverFrames',
  op: '<=',
  than: 2,
  worst: true,
}));

/**
 * Runs once before the runs (see run.mjs). Resolves to { unavailable } when the scenario cannot run
 * here (no Playwright, no Chromium, demo does not build), else to { versions } for the report.
 */
export async function prepare() {
  const chromium = loadPlaywright();
  if (!chromium) return { unavailable: '@playwright/test is not installed at the repository root (pnpm install)' };
  const executablePath = findChromium();
  if (!executablePath) return { unavailable: NO_CHROMIUM };
  let version;
  try {
    const browser = await launch(chromium, executablePath);
    version = browser.version();
    await browser.close();
  } catch (error) {
    const first = String(error?.message ?? error).split('\n')[0];
    return { unavailable: `${NO_CHROMIUM}: ${executablePath} did not launch: ${first}` };
  }
  const built = await buildDemo();
  if (!built.ok) {
    const line = built.output.split('\n').find((l) => /error/i.test(l)) ?? built.output.split('\n')[0];
    return { unavailable: `the demo's bench page did not build (vite build in apps/demo): ${line}`, fanoutError: true };
  }
  return { versions: [['Chromium', `${version} (${executablePath})`]] };
}

/** One run of one variant in a fresh browser and page; resolves to the page's metrics. */
async function runInBrowser(lib, params) {
  const chromium = loadPlaywright();
  if (!chromium) throw new Error('@playwright/test is not installed at the repository root');
  const executablePath = findChromium();
  if (!executablePath) throw new Error(`not available: ${NO_CHROMIUM}`);
  const server = await serveStatic(DEMO_OUT);
  const browser = await launch(chromium, executablePath);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${server.url}/bench.html`);
    await page.waitForFunction(() => window.fanoutBench !== undefined, null, { timeout: 10_000 });
    const { detail, ...metrics } = await page.evaluate((p) => window.fanoutBench.run(p), { lib, ...params });
    if (pageErrors.length) throw pageErrors[0];
    if (process.env.BENCH_REACT_DETAIL) console.error(JSON.stringify({ lib, params, detail }));
    return metrics;
  } finally {
    await browser.close();
    await server.close();
  }
}

export const libraries = {
  'fanout (useMap)': (params) => runInBrowser('fanout', params),
  'naive (setState per completion)': (params) => runInBrowser('naive', params),
};
