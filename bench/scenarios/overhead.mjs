// Scenario 1 — overhead: what a pool costs per task when the task itself costs
// (almost) nothing. Every library runs the same `work(i)` (an async function
// that returns i) over 100,000 indices at a given concurrency; ns/task is the
// wall time of the batch divided by the number of tasks.

import { AsyncExecutor } from '@fanout/core';
import { AsyncQueuer } from '@tanstack/pacer';
import Bottleneck from 'bottleneck';
import pLimit from 'p-limit';
import pMap from 'p-map';
import PQueue from 'p-queue';
import { floorMap } from '../floor.mjs';
import { checkResults, gc, now } from '../harness.mjs';

export const id = 'overhead';
export const title = 'Scenario 1 — overhead per task';
export const description = `100,000 tasks that resolve immediately (\`work = async (i) => i\`, the same
function for every library), at concurrency 1, 16 and 1,024; **ns/task** = wall time of the whole
batch (create the pool, queue every task, await every result) / number of tasks. Each process runs
the batch once to warm up, collects garbage, then times a second batch. Mapping APIs (fanout \`map\`,
p-map, Pacer's queue) get the indices; thunk APIs (fanout \`submit\`, p-limit, p-queue, bottleneck)
get one closure \`() => work(i)\` per task, as a user would write, and every result is awaited with
\`Promise.all\`. Pacer: an \`AsyncQueuer(work, { concurrency })\` fed with \`addItem(i)\`; results are
collected in \`onSuccess\` (its \`addItem\` returns a boolean, not a promise). The floor is
\`concurrency\` async workers pulling from a shared index (bench/floor.mjs).`;

export const metrics = [{ key: 'nsPerTask', label: 'ns/task', better: 'lower', digits: 0 }];

export function cases({ quick }) {
  const n = quick ? 5_000 : 100_000;
  return [1, 16, 1024].map((concurrency) => ({ name: `concurrency ${concurrency}`, params: { n, concurrency } }));
}

export const floor = 'floor';
export const fanout = 'fanout (map)';

/** Libraries too slow to run at full size: run.mjs lowers `params.n` to `n` (unless --uncapped) and prints `why`. */
export const caps = {
  bottleneck: {
    n: 200,
    why: 'its local datastore waits for a `setTimeout(0)` on every call (submit, register, free) and submissions pass one at a time through a lock, so a task costs ≈ 3 ms whatever the size (100,000 tasks would take ≈ 5 min a batch)',
  },
  '@tanstack/pacer': {
    n: 5_000,
    why: '`AsyncQueuer` removes each item with `items.slice(1)`, so its cost per task grows with the queue length; a single trial at 100,000 tasks (concurrency 16) took ≈ 600,000 ns/task',
  },
};

const c16 = 'concurrency 16';
export const targets = [
  {
    text: 'fanout `map` ≤ 2 × the floor at concurrency 16',
    case: c16,
    lib: 'fanout (map)',
    metric: 'nsPerTask',
    op: '<=',
    than: { lib: 'floor', factor: 2 },
  },
  {
    text: 'fanout `map` below every peer at concurrency 16',
    case: c16,
    lib: 'fanout (map)',
    metric: 'nsPerTask',
    op: '<',
    than: 'peers',
  },
  {
    text: 'fanout `submit` + await below p-limit at concurrency 16',
    case: c16,
    lib: 'fanout (submit)',
    metric: 'nsPerTask',
    op: '<',
    than: { lib: 'p-limit', factor: 1 },
  },
];

/** The task: resolves immediately with its index. */
const work = async (i) => i;

/** Runs `batch` once to warm up, then times it; returns ns per task. */
async function measure(n, batch) {
  checkResults(await batch(), n);
  gc();
  const t0 = now();
  const results = await batch();
  const elapsed = now() - t0;
  checkResults(results, n);
  return { nsPerTask: (elapsed * 1e6) / n };
}

const indices = (n) => Array.from({ length: n }, (_, i) => i);

export const libraries = {
  'fanout (map)': async ({ n, concurrency }) => {
    const items = indices(n);
    return measure(n, async () => {
      const executor = new AsyncExecutor({ maxWorkers: concurrency });
      const results = await executor.map(work, items);
      await executor.shutdown();
      return results;
    });
  },

  'fanout (submit)': async ({ n, concurrency }) =>
    measure(n, async () => {
      const executor = new AsyncExecutor({ maxWorkers: concurrency });
      const futures = new Array(n);
      for (let i = 0; i < n; i++) futures[i] = executor.submit(() => work(i));
      const results = await Promise.all(futures);
      await executor.shutdown();
      return results;
    }),

  'p-limit': async ({ n, concurrency }) =>
    measure(n, () => {
      const limit = pLimit(concurrency);
      const promises = new Array(n);
      for (let i = 0; i < n; i++) promises[i] = limit(() => work(i));
      return Promise.all(promises);
    }),

  'p-queue': async ({ n, concurrency }) =>
    measure(n, () => {
      const queue = new PQueue({ concurrency });
      const promises = new Array(n);
      for (let i = 0; i < n; i++) promises[i] = queue.add(() => work(i));
      return Promise.all(promises);
    }),

  'p-map': async ({ n, concurrency }) => {
    const items = indices(n);
    return measure(n, () => pMap(items, work, { concurrency }));
  },

  bottleneck: async ({ n, concurrency }) =>
    measure(n, () => {
      const limiter = new Bottleneck({ maxConcurrent: concurrency });
      const promises = new Array(n);
      for (let i = 0; i < n; i++) promises[i] = limiter.schedule(() => work(i));
      return Promise.all(promises);
    }),

  '@tanstack/pacer': async ({ n, concurrency }) =>
    measure(
      n,
      () =>
        new Promise((resolve, reject) => {
          const results = new Array(n);
          let settled = 0;
          const queuer = new AsyncQueuer(work, {
            concurrency,
            onSuccess: (result, item) => {
              results[item] = result;
              if (++settled === n) resolve(results);
            },
            onError: reject,
          });
          for (let i = 0; i < n; i++) queuer.addItem(i);
        }),
    ),

  floor: async ({ n, concurrency }) => measure(n, () => floorMap(work, n, concurrency)),
};
