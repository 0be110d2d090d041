// Scenario 3 — streaming: a streaming map over an infinite async generator
// must run in bounded memory. 1,000,000 items at concurrency 16; the consumer
// breaks out of the loop at the millionth result.

import { AsyncExecutor } from '@fanout/core';
import { pMapIterable } from 'p-map';
import { gc, heapAfterGc, now } from '../harness.mjs';

export const id = 'streaming';
export const title = 'Scenario 3 — streaming map over an infinite input';
export const description = `An infinite async generator (\`async function* () { for (let i = 0; ; i++) yield i }\`)
mapped with \`work = async (x) => x\` at concurrency 16, default buffer (fanout \`mapIter\`: \`bufferSize\`
= 2 × concurrency; p-map \`pMapIterable\`: \`backpressure\` = concurrency); the consumer checks that
results arrive in input order and \`break\`s at the 1,000,000th. **items/s** = items / wall time of the
loop. **peak heap growth** = the largest \`process.memoryUsage().heapUsed\` sampled every 10,000 items,
minus \`heapUsed\` after a full GC at the start; it includes garbage not yet collected, so even a flat
consumer shows the young generation filling up (see the floor). **retained** = \`heapUsed\` after a full
GC at the end (after the \`break\`) minus the same baseline: what the run leaves behind. The floor is a
plain \`for await\` over the generator that awaits \`work(x)\` one at a time (no pool, no concurrency).`;

export const metrics = [
  { key: 'itemsPerSecond', label: 'items/s', better: 'higher', digits: 0 },
  { key: 'peakHeapGrowthMB', label: 'peak heap growth MB', better: 'lower', digits: 1 },
  { key: 'retainedMB', label: 'retained MB', better: 'lower', digits: 2 },
];

export function cases({ quick }) {
  return [{ name: 'concurrency 16', params: { n: quick ? 50_000 : 1_000_000, concurrency: 16 } }];
}

export const floor = 'floor (for await, no pool)';
export const fanout = 'fanout (mapIter)';

export const targets = [
  {
    text: 'fanout `mapIter`: peak heap growth < 10 MB over 1,000,000 items',
    case: 'concurrency 16',
    lib: 'fanout (mapIter)',
    metric: 'peakHeapGrowthMB',
    op: '<',
    than: 10,
  },
];

async function* naturals() {
  for (let i = 0; ; i++) yield i;
}

const work = async (x) => x;

/** Consumes `n` results of `results` (an async iterable), checking their order, and measures. */
async function consume(results, n) {
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = 0;
  let count = 0;
  const t0 = now();
  for await (const value of results) {
    if (value !== count) throw new Error(`item ${count} is ${value}`);
    count++;
    if (count % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    if (count === n) break;
  }
  const elapsed = now() - t0;
  const retained = heapAfterGc() - baseline;
  return {
    itemsPerSecond: n / (elapsed / 1000),
    peakHeapGrowthMB: peak / 1e6,
    retainedMB: retained / 1e6,
  };
}

export const libraries = {
  'fanout (mapIter)': async ({ n, concurrency }) => {
    const executor = new AsyncExecutor({ maxWorkers: concurrency });
    const result = await consume(executor.mapIter(work, naturals()), n);
    await executor.shutdown();
    return result;
  },

  'p-map (pMapIterable)': async ({ n, concurrency }) => consume(pMapIterable(naturals(), work, { concurrency }), n),

  'floor (for await, no pool)': async ({ n }) =>
    consume(
      (async function* () {
        for await (const x of naturals()) yield await work(x);
      })(),
      n,
    ),
};
