// Scenario 4 — timers: tasks that wait on a 1 ms timer. With 10,000 tasks at
// concurrency 100 a perfect pool needs 100 rounds of 1 ms: 100 ms. Efficiency
// is that ideal over the measured wall time.

import { AsyncExecutor } from '@fanout/core';
import { AsyncQueuer } from '@tanstack/pacer';
import Bottleneck from 'bottleneck';
import pLimit from 'p-limit';
import pMap from 'p-map';
import PQueue from 'p-queue';
import { floorMap } from '../floor.mjs';
import { checkResults, now } from '../harness.mjs';

export const id = 'timers';
export const title = 'Scenario 4 — timer-bound tasks';
export const description = `10,000 tasks of \`work(i) = sleep(1 ms).then(() => i)\` (a \`setTimeout(…, 1)\`)
at concurrency 100. **ideal** = ⌈tasks / concurrency⌉ × 1 ms = 100 ms; **efficiency** = ideal / wall
time (1.00 is perfect; Node's timers fire at ≥ 1 ms, so the floor is the practical best). One batch
per process, no warm-up (the timers dominate). Same adapters as scenario 1.`;

export const metrics = [
  { key: 'efficiency', label: 'efficiency', better: 'higher', digits: 3 },
  { key: 'wallMs', label: 'wall ms', better: 'lower', digits: 1 },
];

export function cases({ quick }) {
  // --quick: 1/20 of the tasks and of the concurrency, so the ideal stays 100 rounds.
  return [
    {
      name: quick ? '500 tasks, concurrency 5' : '10,000 tasks, concurrency 100',
      params: quick ? { n: 500, concurrency: 5, ms: 1 } : { n: 10_000, concurrency: 100, ms: 1 },
    },
  ];
}

export const floor = 'floor';
export const fanout = 'fanout (map)';

export const caps = {
  bottleneck: {
    n: 1_000,
    why: 'it costs ≈ 3 ms a task whatever the work (a `setTimeout(0)` per datastore call, see scenario 1), so 10,000 tasks would take ≈ 30 s a run; its ideal is then 10 ms',
  },
};

export const targets = [
  { text: 'fanout `map`: efficiency ≥ 0.9', lib: 'fanout (map)', metric: 'efficiency', op: '>=', than: 0.9 },
];

let sleepMs = 1;
const work = (i) => new Promise((resolve) => setTimeout(() => resolve(i), sleepMs));

/** Times one batch; returns efficiency and wall time. */
async function measure({ n, concurrency, ms }, batch) {
  sleepMs = ms;
  const t0 = now();
  const results = await batch();
  const wallMs = now() - t0;
  checkResults(results, n);
  const idealMs = Math.ceil(n / concurrency) * ms;
  return { efficiency: idealMs / wallMs, wallMs };
}

export const libraries = {
  'fanout (map)': async (params) => {
    const items = Array.from({ length: params.n }, (_, i) => i);
    return measure(params, async () => {
      const executor = new AsyncExecutor({ maxWorkers: params.concurrency });
      const results = await executor.map(work, items);
      await executor.shutdown();
      return results;
    });
  },

  'p-limit': async (params) =>
    measure(params, () => {
      const limit = pLimit(params.concurrency);
      return Promise.all(Array.from({ length: params.n }, (_, i) => limit(() => work(i))));
    }),

  'p-queue': async (params) =>
    measure(params, () => {
      const queue = new PQueue({ concurrency: params.concurrency });
      return Promise.all(Array.from({ length: params.n }, (_, i) => queue.add(() => work(i))));
    }),

  'p-map': async (params) => {
    const items = Array.from({ length: params.n }, (_, i) => i);
    return measure(params, () => pMap(items, work, { concurrency: params.concurrency }));
  },

  bottleneck: async (params) =>
    measure(params, () => {
      const limiter = new Bottleneck({ maxConcurrent: params.concurrency });
      return Promise.all(Array.from({ length: params.n }, (_, i) => limiter.schedule(() => work(i))));
    }),

  '@tanstack/pacer': async (params) =>
    measure(
      params,
      () =>
        new Promise((resolve, reject) => {
          const results = new Array(params.n);
          let settled = 0;
          const queuer = new AsyncQueuer(work, {
            concurrency: params.concurrency,
            onSuccess: (result, item) => {
              results[item] = result;
              if (++settled === params.n) resolve(results);
            },
            onError: reject,
          });
          for (let i = 0; i < params.n; i++) queuer.addItem(i);
        }),
    ),

  floor: async (params) => measure(params, () => floorMap(work, params.n, params.concurrency)),
};
