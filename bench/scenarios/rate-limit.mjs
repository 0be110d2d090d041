// Scenario 5 — rate limit: 2,000 instant tasks through a limit of 1,000
// starts per 1,000 ms. A good limiter is as fast as it is allowed to be and
// never faster.

import { AsyncExecutor } from '@fanout/core';
import Bottleneck from 'bottleneck';
import PQueue from 'p-queue';
import { checkResults, now } from '../harness.mjs';

export const id = 'rate-limit';
export const title = 'Scenario 5 — rate limit';
export const description = `2,000 tasks that record their start time (\`performance.now()\`) and resolve
at once, no concurrency limit, through a limit of 1,000 starts per 1,000 ms: fanout
\`new AsyncExecutor({ maxWorkers: Infinity, rateLimit: { limit: 1000, interval: 1000 } })\` + \`map\`;
p-queue \`{ intervalCap: 1000, interval: 1000 }\` (fixed windows, the default) and the same with
\`strict: true\` (its sliding-window mode); bottleneck \`{ reservoir: 1000, reservoirRefreshAmount: 1000,
reservoirRefreshInterval: 1000 }\`. Every limiter starts with 1,000 starts available (fanout's bucket
starts full), so the first 1,000 tasks start at once and the other 1,000 are paced: a limiter exactly at
the allowed rate starts the last task 1,000 ms after the first.

- **rate / allowed** = achieved rate / allowed rate, with achieved = (tasks − limit) / (last start − first
  start) and allowed = limit / interval; i.e. (tasks − limit) × interval / (limit × span) = 1,000 ms / span
  here. 1.00 is perfect; above 1 is too fast.
- **max in window** = the most starts in any sliding window [t, t + 1,000 ms) — must not exceed 1,000.
  (A token bucket that starts full and refills continuously can reach 2 × limit − 1 here while a
  fixed-window counter stays at the limit only if its windows line up with the starts.)
- **span ms** = last start − first start; **wall ms** = first submit to last result.

TanStack Pacer is not in this table: its \`AsyncRateLimiter\` rejects the calls over the limit (\`onReject\`)
instead of queueing them, so it cannot run this workload as is. --quick runs 100 tasks through 50 per
1,000 ms (same shape, 1/20 of the tasks and of the limit).`;

export const metrics = [
  { key: 'rateRatio', label: 'rate / allowed', better: 'higher', digits: 3 },
  { key: 'maxInWindow', label: 'max in window', better: 'lower', digits: 0 },
  { key: 'spanMs', label: 'span ms', better: 'lower', digits: 1 },
  { key: 'wallMs', label: 'wall ms', better: 'lower', digits: 1 },
];

export function cases({ quick }) {
  const params = quick ? { n: 100, limit: 50, interval: 1000 } : { n: 2000, limit: 1000, interval: 1000 };
  return [{ name: `${params.n} tasks, ${params.limit} per ${params.interval} ms`, params }];
}

export const floor = null;
export const fanout = 'fanout (map)';

export const targets = [
  {
    text: 'fanout: never above the allowed rate (max starts in any window of `interval` ≤ `limit`)',
    lib: 'fanout (map)',
    metric: 'maxInWindow',
    op: '<=',
    than: { param: 'limit' },
    worst: true,
  },
  { text: 'fanout: ≥ 0.95 of the allowed rate', lib: 'fanout (map)', metric: 'rateRatio', op: '>=', than: 0.95 },
  {
    text: 'fanout: not faster than allowed (rate / allowed ≤ 1.00)',
    lib: 'fanout (map)',
    metric: 'rateRatio',
    op: '<=',
    than: 1,
    worst: true,
  },
];

/** The most entries of sorted `times` inside any window [t, t + length). */
export function maxInWindow(times, length) {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= length) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Runs `batch(work)` and derives the rate metrics from the recorded start times. */
async function measure({ n, limit, interval }, batch) {
  const starts = [];
  const work = async (i) => {
    starts.push(now());
    return i;
  };
  const t0 = now();
  const results = await batch(work);
  const wallMs = now() - t0;
  checkResults(results, n);
  starts.sort((a, b) => a - b);
  const spanMs = starts[n - 1] - starts[0];
  return {
    rateRatio: ((n - limit) * interval) / (limit * spanMs),
    maxInWindow: maxInWindow(starts, interval),
    spanMs,
    wallMs,
  };
}

const indices = (n) => Array.from({ length: n }, (_, i) => i);

export const libraries = {
  'fanout (map)': async (params) => {
    const items = indices(params.n);
    return measure(params, async (work) => {
      const executor = new AsyncExecutor({
        maxWorkers: Number.POSITIVE_INFINITY,
        rateLimit: { limit: params.limit, interval: params.interval },
      });
      const results = await executor.map(work, items);
      await executor.shutdown();
      return results;
    });
  },

  'p-queue (intervalCap)': async (params) =>
    measure(params, (work) => {
      const queue = new PQueue({ intervalCap: params.limit, interval: params.interval });
      return Promise.all(indices(params.n).map((i) => queue.add(() => work(i))));
    }),

  'p-queue (intervalCap, strict)': async (params) =>
    measure(params, (work) => {
      const queue = new PQueue({ intervalCap: params.limit, interval: params.interval, strict: true });
      return Promise.all(indices(params.n).map((i) => queue.add(() => work(i))));
    }),

  'bottleneck (reservoir)': async (params) =>
    measure(params, async (work) => {
      const limiter = new Bottleneck({
        reservoir: params.limit,
        reservoirRefreshAmount: params.limit,
        reservoirRefreshInterval: params.interval,
      });
      const results = await Promise.all(indices(params.n).map((i) => limiter.schedule(() => work(i))));
      await limiter.disconnect();
      return results;
    }),
};
