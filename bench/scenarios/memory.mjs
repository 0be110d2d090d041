// Scenario 2 — memory: what a pool keeps per task that waits in its queue.
// 1,000,000 tasks are submitted at concurrency 16 while the first 16 block on
// a gate; heap (after a full GC) minus the baseline, divided by the number of
// tasks, is the cost of one queued task. Then the gate opens and every task
// must finish with the right result.

import { AsyncExecutor } from '@fanout/core';
import Bottleneck from 'bottleneck';
import pLimit from 'p-limit';
import PQueue from 'p-queue';
import { floorMap } from '../floor.mjs';
import { checkResults, heapAfterGc, now, settle } from '../harness.mjs';

export const id = 'memory';
export const title = 'Scenario 2 — memory per queued task';
export const description = `1,000,000 tasks submitted at concurrency 16; every task is \`work(i)\` =
\`async (i) => { await gate; return i }\`, so the first 16 block until the gate opens and the rest
wait in the queue. Every library gets one closure \`() => work(i)\` per task and returns a handle
(promise or future) that the caller keeps in a preallocated array, as a caller who wants the results
must. **bytes/task** = (\`heapUsed\` after a full GC with everything queued − \`heapUsed\` after a
full GC just before the first submit) / tasks; the handle array and the pool itself are allocated
before the baseline, so what is counted is the closure, the handle and the pool's per-task state.
The floor is the closure alone (an array of closures, later run by bench/floor.mjs). After the
measurement the gate opens and every result is checked. Also shown: **submit ns/task**, the time
of the synchronous submit loop. p-map and Pacer take items, not queued closures, and are left out
(p-map pulls lazily from its input; Pacer's queue is O(n²) to drain, see scenario 1).`;

export const metrics = [
  { key: 'bytesPerTask', label: 'bytes/task', better: 'lower', digits: 0 },
  { key: 'submitNsPerTask', label: 'submit ns/task', better: 'lower', digits: 0 },
];

export function cases({ quick }) {
  return [{ name: 'concurrency 16', params: { n: quick ? 50_000 : 1_000_000, concurrency: 16 } }];
}

export const floor = 'floor (closures)';
export const fanout = 'fanout (submit)';

/** 1,000,000 queued tasks need more than the default heap limit for some peers. */
export const nodeFlags = ['--max-old-space-size=8192'];

export const caps = {
  bottleneck: {
    n: 5_000,
    why: 'draining its queue costs ≈ 3 ms a task (a `setTimeout(0)` per datastore call, see scenario 1): 1,000,000 tasks would take ≈ 50 min',
  },
};

export const targets = [
  {
    text: 'fanout ≤ 200 bytes per queued task',
    case: 'concurrency 16',
    lib: 'fanout (submit)',
    metric: 'bytesPerTask',
    op: '<=',
    than: 200,
  },
];

// One gate per process (each run is a fresh process).
let openGate;
const gate = new Promise((resolve) => {
  openGate = resolve;
});
const work = async (i) => {
  await gate;
  return i;
};

/**
 * Measures `n` tasks queued through `submit(i) → handle`, then opens the gate
 * and checks `await drain(handles)`.
 */
async function measureQueued(n, submit, drain) {
  const handles = new Array(n).fill(undefined); // preallocated: not counted
  await settle();
  const baseline = heapAfterGc();

  const t0 = now();
  for (let i = 0; i < n; i++) handles[i] = submit(i);
  const submitMs = now() - t0;

  await settle(); // let the pool start its first `concurrency` tasks
  const queued = heapAfterGc();

  openGate();
  checkResults(await drain(handles), n);
  return { bytesPerTask: (queued - baseline) / n, submitNsPerTask: (submitMs * 1e6) / n };
}

export const libraries = {
  'fanout (submit)': async ({ n, concurrency }) => {
    const executor = new AsyncExecutor({ maxWorkers: concurrency });
    const result = await measureQueued(
      n,
      (i) => executor.submit(() => work(i)),
      (futures) => Promise.all(futures),
    );
    await executor.shutdown();
    return result;
  },

  'p-limit': async ({ n, concurrency }) => {
    const limit = pLimit(concurrency);
    return measureQueued(
      n,
      (i) => limit(() => work(i)),
      (promises) => Promise.all(promises),
    );
  },

  'p-queue': async ({ n, concurrency }) => {
    const queue = new PQueue({ concurrency });
    return measureQueued(
      n,
      (i) => queue.add(() => work(i)),
      (promises) => Promise.all(promises),
    );
  },

  bottleneck: async ({ n, concurrency }) => {
    const limiter = new Bottleneck({ maxConcurrent: concurrency });
    return measureQueued(
      n,
      (i) => limiter.schedule(() => work(i)),
      (promises) => Promise.all(promises),
    );
  },

  'floor (closures)': async ({ n, concurrency }) =>
    measureQueued(
      n,
      (i) => () => work(i),
      (closures) => floorMap((i) => closures[i](), n, concurrency),
    ),
};
